"""Citations: the quoted passages a score rests on, frozen with their version like the score's sources.

The triggers refuse any insert, update or delete of a citation whose score
belongs to a published or superseded version (0006's rule for scores and
their sources, stated again for this table), and stand aside inside
``evaluations.dbtriggers.frozen_writes_allowed`` as 0006's do.
"""

import django.db.models.deletion
from django.db import migrations, models

UNLOCK_TABLE = "evaluations_frozen_unlock"  # frozen copy of evaluations.dbtriggers.UNLOCK_TABLE
FROZEN = "('published', 'superseded')"


# Frozen copy (a migration keeps doing what it did when the app's code changes).
def run_vendor_sql(statements_by_vendor):
    """A RunPython function executing the statements written for the connection's vendor."""

    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for statement in [statements] if isinstance(statements, str) else statements:
            schema_editor.execute(statement, params=None)

    return run


POSTGRES = [
    f"""
CREATE OR REPLACE FUNCTION evaluations_citation_frozen() RETURNS trigger AS $$
DECLARE st text;
BEGIN
  IF EXISTS (SELECT 1 FROM {UNLOCK_TABLE}) THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    SELECT v.state INTO st FROM evaluations_score s JOIN evaluations_evaluationversion v ON v.id = s.version_id
     WHERE s.id = OLD.score_id;
    IF st IN {FROZEN} THEN
      RAISE EXCEPTION 'the citations of a score in a % evaluation version cannot change', st
        USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    SELECT v.state INTO st FROM evaluations_score s JOIN evaluations_evaluationversion v ON v.id = s.version_id
     WHERE s.id = NEW.score_id;
    IF st IN {FROZEN} THEN
      RAISE EXCEPTION 'the citations of a score in a % evaluation version cannot change', st
        USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER evaluations_citation_frozen BEFORE INSERT OR UPDATE OR DELETE ON evaluations_citation
  FOR EACH ROW EXECUTE FUNCTION evaluations_citation_frozen();
"""
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS evaluations_citation_frozen ON evaluations_citation;",
    "DROP FUNCTION IF EXISTS evaluations_citation_frozen();",
]

LOCKED = f"NOT EXISTS (SELECT 1 FROM {UNLOCK_TABLE})"
MESSAGE = "the citations of a published or superseded evaluation version cannot change"


def _state(row):
    return (
        "(SELECT v.state FROM evaluations_score s JOIN evaluations_evaluationversion v ON v.id = s.version_id"
        f" WHERE s.id = {row}.score_id)"
    )


def _trigger(event, when):
    return (
        f"CREATE TRIGGER evaluations_citation_frozen_{event.lower()} BEFORE {event} ON evaluations_citation"
        f" WHEN {LOCKED} AND ({when})\nBEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
    )


SQLITE = [
    _trigger("INSERT", f"{_state('NEW')} IN {FROZEN}"),
    _trigger("UPDATE", f"{_state('NEW')} IN {FROZEN} OR {_state('OLD')} IN {FROZEN}"),
    _trigger("DELETE", f"{_state('OLD')} IN {FROZEN}"),
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS evaluations_citation_frozen_{event}" for event in ("insert", "update", "delete")]


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_relationships_aliases"),
        ("evaluations", "0011_audit_actions"),
    ]

    operations = [
        migrations.CreateModel(
            name="Citation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("quote", models.TextField()),
                ("prefix", models.CharField(blank=True, max_length=64)),
                ("suffix", models.CharField(blank=True, max_length=64)),
                (
                    "orphaned",
                    models.BooleanField(
                        default=False, help_text="Its quote no longer appears in the source's excerpt."
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0)),
                (
                    "score",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="citations", to="evaluations.score"
                    ),
                ),
                (
                    "source",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="citations", to="cases.source"
                    ),
                ),
            ],
            options={"ordering": ["score", "position", "id"]},
        ),
        migrations.RunPython(
            run_vendor_sql({"postgresql": POSTGRES, "sqlite": SQLITE}),
            run_vendor_sql({"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP}),
        ),
    ]
