"""The database checks each score against its criterion's rubric scale.

A check constraint cannot look at another table, so a trigger does it, on
PostgreSQL and on SQLite alike.
"""

from django.db import migrations


# Frozen copy (a migration keeps doing what it did when the app's code changes).
def run_vendor_sql(statements_by_vendor):
    """A RunPython function executing the statements written for the connection's vendor."""

    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for statement in [statements] if isinstance(statements, str) else statements:
            schema_editor.execute(statement, params=None)

    return run

POSTGRES = """
CREATE OR REPLACE FUNCTION evaluations_score_in_scale() RETURNS trigger AS $$
DECLARE lo smallint; hi smallint;
BEGIN
  SELECT rv.scale_min, rv.scale_max INTO lo, hi
    FROM evaluations_criterion c JOIN evaluations_rubricversion rv ON rv.id = c.version_id
   WHERE c.id = NEW.criterion_id;
  IF NEW.value < lo OR NEW.value > hi THEN
    RAISE EXCEPTION 'score % is outside the scale %-%', NEW.value, lo, hi USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER evaluations_score_in_scale BEFORE INSERT OR UPDATE ON evaluations_score
  FOR EACH ROW EXECUTE FUNCTION evaluations_score_in_scale();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS evaluations_score_in_scale ON evaluations_score;
DROP FUNCTION IF EXISTS evaluations_score_in_scale();
"""
SQLITE_CHECK = """
WHEN NEW.value < (SELECT rv.scale_min FROM evaluations_criterion c JOIN evaluations_rubricversion rv ON rv.id = c.version_id WHERE c.id = NEW.criterion_id)
  OR NEW.value > (SELECT rv.scale_max FROM evaluations_criterion c JOIN evaluations_rubricversion rv ON rv.id = c.version_id WHERE c.id = NEW.criterion_id)
BEGIN SELECT RAISE(ABORT, 'score is outside the scale of its rubric version'); END;
"""
SQLITE = [
    "CREATE TRIGGER evaluations_score_in_scale_insert BEFORE INSERT ON evaluations_score " + SQLITE_CHECK,
    "CREATE TRIGGER evaluations_score_in_scale_update BEFORE UPDATE ON evaluations_score " + SQLITE_CHECK,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS evaluations_score_in_scale_insert",
    "DROP TRIGGER IF EXISTS evaluations_score_in_scale_update",
]


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0002_groups")]
    operations = [
        migrations.RunPython(
            run_vendor_sql({"postgresql": POSTGRES, "sqlite": SQLITE}),
            run_vendor_sql({"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP}),
        )
    ]
