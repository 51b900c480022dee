"""Facts on the record: ``EvaluationVersion.facts``, frozen with the version.

Adds the column, records in each case's current published version the facts its
rows hold now (the best knowledge there is: until now they changed in place;
superseded versions stay without facts, which compare reads as "not recorded"),
then redefines 0006's trigger on evaluation versions so that ``facts`` is frozen
like the rest of a published version's content. SQLite rebuilds the table to add
the column (which would drop its triggers, and which the score and annotation
triggers that read the table refuse), so the column is added with plain SQL.
"""

from django.db import migrations, models

UNLOCK_TABLE = "evaluations_frozen_unlock"
FROZEN = "('published', 'superseded')"
# 0006's list of an evaluation version's content columns (frozen copy), and now ``facts``.
VERSION_CONTENT_0006 = [
    "id", "evaluation_id", "case_id", "number", "author_id", "based_on_id", "narrative", "verdict", "change_note",
    "correction_note", "lock_version", "created_at", "submitted_at", "publish_at", "published_at", "published_by_id",
]  # fmt: skip
VERSION_CONTENT = [*VERSION_CONTENT_0006, "facts"]
STATE_OK = "(NEW.state = OLD.state OR (OLD.state = 'published' AND NEW.state = 'superseded'))"
PG_DONE = "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW;"
PG_UNLOCKED = f"IF EXISTS (SELECT 1 FROM {UNLOCK_TABLE}) THEN {PG_DONE} END IF;"
PG_RAISE = "USING ERRCODE = 'check_violation'"
LOCKED = f"NOT EXISTS (SELECT 1 FROM {UNLOCK_TABLE})"


def _changed(columns, distinct):
    return " OR ".join(f"NEW.{c} {distinct} OLD.{c}" for c in columns)


def _pg_function(columns):
    return f"""
CREATE OR REPLACE FUNCTION evaluations_version_frozen() RETURNS trigger AS $$
BEGIN
  {PG_UNLOCKED}
  IF OLD.state IN {FROZEN} THEN
    IF TG_OP = 'DELETE' THEN
      RAISE EXCEPTION 'evaluation version % is %: it stays on the record', OLD.id, OLD.state {PG_RAISE};
    END IF;
    IF {_changed(columns, "IS DISTINCT FROM")} OR NOT {STATE_OK} THEN
      RAISE EXCEPTION 'evaluation version % is %: it can no longer change', OLD.id, OLD.state {PG_RAISE};
    END IF;
  END IF;
  {PG_DONE}
END $$ LANGUAGE plpgsql;
"""


def _sqlite_triggers(columns):
    return [
        "DROP TRIGGER IF EXISTS evaluations_version_frozen_update",
        "DROP TRIGGER IF EXISTS evaluations_version_frozen_delete",
        f"CREATE TRIGGER evaluations_version_frozen_update BEFORE UPDATE ON evaluations_evaluationversion"
        f" WHEN {LOCKED} AND (OLD.state IN {FROZEN} AND ({_changed(columns, 'IS NOT')} OR NOT {STATE_OK}))\n"
        "BEGIN SELECT RAISE(ABORT, 'a published or superseded evaluation version can no longer change'); END;",
        f"CREATE TRIGGER evaluations_version_frozen_delete BEFORE DELETE ON evaluations_evaluationversion"
        f" WHEN {LOCKED} AND (OLD.state IN {FROZEN})\n"
        "BEGIN SELECT RAISE(ABORT, 'a published or superseded evaluation version stays on the record'); END;",
    ]


def run_vendor_sql(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


def _json(value):
    if value is None or isinstance(value, int | str):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def record_published_facts(apps, schema_editor):
    """The facts of each case's current published version: its rows as they are (frozen copy of cases.facts)."""
    EvaluationVersion = apps.get_model("evaluations", "EvaluationVersion")
    fields = [
        "title", "summary", "announced_on", "announced_precision", "value_low_usd", "value_high_usd",
        "value_note", "capacity_mw", "capacity_chips", "capacity_note",
    ]  # fmt: skip
    for version in EvaluationVersion.objects.filter(state="published").select_related("case").iterator():
        case = version.case
        facts = {name: _json(getattr(case, name)) for name in fields}
        facts["deal_types"] = [d.slug for d in case.deal_types.order_by("name")]
        facts["tags"] = [t.name for t in case.tags.order_by("name")]
        facts["parties"] = [
            {
                "organization": p.organization.slug,
                "organization_name": p.organization.name,
                "role": p.role,
                "note": p.note,
            }
            for p in case.parties.select_related("organization").order_by("position", "id")
        ]
        facts["sources"] = [
            {
                "id": s.pk,
                **{
                    n: _json(getattr(s, n))
                    for n in ("publisher", "title", "url", "published_on", "published_precision", "claim")
                },
            }
            for s in case.sources.order_by("position", "id")
        ]
        facts["timeline"] = [
            {n: _json(getattr(e, n)) for n in ("kind", "occurred_on", "precision", "note")}
            for e in case.timeline.order_by("occurred_on", "id")
        ]
        EvaluationVersion.objects.filter(pk=version.pk).update(facts=facts)


# Added with plain SQL: Django's SQLite backend would rebuild the table, which the triggers of
# other tables (scores, annotations) that read it refuse. The column keeps its default ({}: no
# facts recorded) on both databases, so bulk writers that name their columns (the benchmark's
# generator copies rows in) need not know it.
ADD_COLUMN = {
    "postgresql": [
        "ALTER TABLE evaluations_evaluationversion ADD COLUMN facts jsonb NOT NULL DEFAULT '{}'::jsonb",
    ],
    "sqlite": [
        "ALTER TABLE evaluations_evaluationversion ADD COLUMN \"facts\" text NOT NULL DEFAULT '{}'"
        " CHECK ((JSON_VALID(\"facts\") OR \"facts\" IS NULL))",
    ],
}
DROP_COLUMN = {
    "postgresql": ["ALTER TABLE evaluations_evaluationversion DROP COLUMN facts"],
    "sqlite": ["ALTER TABLE evaluations_evaluationversion DROP COLUMN \"facts\""],
}


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0007_merge_audit_independent_paths")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="evaluationversion",
                    name="facts",
                    field=models.JSONField(blank=True, default=dict),
                )
            ],
            database_operations=[migrations.RunPython(run_vendor_sql(ADD_COLUMN), run_vendor_sql(DROP_COLUMN))],
        ),
        # Before the trigger covers the column: published rows may still take their facts.
        migrations.RunPython(record_published_facts, migrations.RunPython.noop),
        migrations.RunPython(
            run_vendor_sql(
                {"postgresql": [_pg_function(VERSION_CONTENT)], "sqlite": _sqlite_triggers(VERSION_CONTENT)}
            ),
            run_vendor_sql(
                {"postgresql": [_pg_function(VERSION_CONTENT_0006)], "sqlite": _sqlite_triggers(VERSION_CONTENT_0006)}
            ),
        ),
    ]
