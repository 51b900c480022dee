"""The rubric crosswalk: ``RubricVersion.crosswalk``, frozen with the version.

Adds the column with plain SQL (SQLite would rebuild the table, dropping its triggers
and tripping the criteria's), then redefines 0006's trigger on rubric versions so that
an active or retired version's crosswalk can no longer change, like the rest of it.
"""

from django.db import migrations, models

UNLOCK_TABLE = "evaluations_frozen_unlock"
RUBRIC_CONTENT_0006 = [
    "rubric_id", "number", "changelog", "scale_min", "scale_max", "scale_labels", "families", "classification",
]  # fmt: skip
RUBRIC_CONTENT = [*RUBRIC_CONTENT_0006, "crosswalk"]
STATUS_OK = "(NEW.status = OLD.status OR (OLD.status = 'active' AND NEW.status = 'retired'))"
PG_DONE = "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW;"
PG_UNLOCKED = f"IF EXISTS (SELECT 1 FROM {UNLOCK_TABLE}) THEN {PG_DONE} END IF;"
PG_RAISE = "USING ERRCODE = 'check_violation'"
LOCKED = f"NOT EXISTS (SELECT 1 FROM {UNLOCK_TABLE})"


def _changed(columns, distinct):
    return " OR ".join(f"NEW.{c} {distinct} OLD.{c}" for c in columns)


def _pg_function(columns):
    return f"""
CREATE OR REPLACE FUNCTION evaluations_rubricversion_frozen() RETURNS trigger AS $$
BEGIN
  {PG_UNLOCKED}
  IF OLD.status <> 'draft' AND (TG_OP = 'DELETE' OR {_changed(columns, "IS DISTINCT FROM")} OR NOT {STATUS_OK}) THEN
    RAISE EXCEPTION 'rubric version % is %: it can no longer change', OLD.number, OLD.status {PG_RAISE};
  END IF;
  {PG_DONE}
END $$ LANGUAGE plpgsql;
"""


def _sqlite_triggers(columns):
    return [
        "DROP TRIGGER IF EXISTS evaluations_rubricversion_frozen",
        "CREATE TRIGGER evaluations_rubricversion_frozen BEFORE UPDATE ON evaluations_rubricversion"
        f" WHEN {LOCKED} AND (OLD.status <> 'draft' AND ({_changed(columns, 'IS NOT')} OR NOT {STATUS_OK}))\n"
        "BEGIN SELECT RAISE(ABORT, 'an active or retired rubric version can no longer change'); END;",
    ]


def run_vendor_sql(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


ADD_COLUMN = {
    "postgresql": ["ALTER TABLE evaluations_rubricversion ADD COLUMN crosswalk jsonb NOT NULL DEFAULT '{}'::jsonb"],
    "sqlite": [
        "ALTER TABLE evaluations_rubricversion ADD COLUMN \"crosswalk\" text NOT NULL DEFAULT '{}'"
        " CHECK ((JSON_VALID(\"crosswalk\") OR \"crosswalk\" IS NULL))",
    ],
}
DROP_COLUMN = {
    "postgresql": ["ALTER TABLE evaluations_rubricversion DROP COLUMN crosswalk"],
    "sqlite": ["ALTER TABLE evaluations_rubricversion DROP COLUMN \"crosswalk\""],
}


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0018_scoreform_parked_rationales")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="rubricversion",
                    name="crosswalk",
                    field=models.JSONField(blank=True, default=dict),
                )
            ],
            database_operations=[migrations.RunPython(run_vendor_sql(ADD_COLUMN), run_vendor_sql(DROP_COLUMN))],
        ),
        migrations.RunPython(
            run_vendor_sql(
                {"postgresql": [_pg_function(RUBRIC_CONTENT)], "sqlite": _sqlite_triggers(RUBRIC_CONTENT)}
            ),
            run_vendor_sql(
                {"postgresql": [_pg_function(RUBRIC_CONTENT_0006)], "sqlite": _sqlite_triggers(RUBRIC_CONTENT_0006)}
            ),
        ),
    ]
