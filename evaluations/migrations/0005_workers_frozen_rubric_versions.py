"""The database refuses changes to an active or retired rubric version and its criteria.

The services already refuse them; this makes it hold for any other path (a
shell, a future bug). The one change allowed is the retirement itself (active
to retired, with its date). Deletions are left to the services and the
PROTECT foreign keys (a delete trigger would also stop test-database flushes).
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

CONTENT = ["rubric_id", "number", "changelog", "scale_min", "scale_max", "scale_labels", "families", "classification"]

_changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in CONTENT)
_changed_sqlite = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in CONTENT)
_status_ok = "(NEW.status = OLD.status OR (OLD.status = 'active' AND NEW.status = 'retired'))"

POSTGRES = f"""
CREATE OR REPLACE FUNCTION evaluations_rubricversion_frozen() RETURNS trigger AS $$
BEGIN
  IF OLD.status <> 'draft' AND ({_changed} OR NOT {_status_ok}) THEN
    RAISE EXCEPTION 'rubric version % is %: it can no longer change', OLD.number, OLD.status
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER evaluations_rubricversion_frozen BEFORE UPDATE ON evaluations_rubricversion
  FOR EACH ROW EXECUTE FUNCTION evaluations_rubricversion_frozen();

CREATE OR REPLACE FUNCTION evaluations_criterion_frozen() RETURNS trigger AS $$
DECLARE st text;
BEGIN
  SELECT status INTO st FROM evaluations_rubricversion WHERE id = NEW.version_id;
  IF st <> 'draft' THEN
    RAISE EXCEPTION 'the criteria of a % rubric version cannot change', st USING ERRCODE = 'check_violation';
  END IF;
  IF TG_OP = 'UPDATE' THEN
    SELECT status INTO st FROM evaluations_rubricversion WHERE id = OLD.version_id;
    IF st <> 'draft' THEN
      RAISE EXCEPTION 'the criteria of a % rubric version cannot change', st USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER evaluations_criterion_frozen BEFORE INSERT OR UPDATE ON evaluations_criterion
  FOR EACH ROW EXECUTE FUNCTION evaluations_criterion_frozen();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS evaluations_rubricversion_frozen ON evaluations_rubricversion;
DROP FUNCTION IF EXISTS evaluations_rubricversion_frozen();
DROP TRIGGER IF EXISTS evaluations_criterion_frozen ON evaluations_criterion;
DROP FUNCTION IF EXISTS evaluations_criterion_frozen();
"""
_version_status = "(SELECT status FROM evaluations_rubricversion WHERE id = {}.version_id)"
SQLITE = [
    f"""CREATE TRIGGER evaluations_rubricversion_frozen BEFORE UPDATE ON evaluations_rubricversion
WHEN OLD.status <> 'draft' AND ({_changed_sqlite} OR NOT {_status_ok})
BEGIN SELECT RAISE(ABORT, 'an active or retired rubric version can no longer change'); END;""",
    f"""CREATE TRIGGER evaluations_criterion_frozen_insert BEFORE INSERT ON evaluations_criterion
WHEN {_version_status.format("NEW")} <> 'draft'
BEGIN SELECT RAISE(ABORT, 'the criteria of an active or retired rubric version cannot change'); END;""",
    f"""CREATE TRIGGER evaluations_criterion_frozen_update BEFORE UPDATE ON evaluations_criterion
WHEN {_version_status.format("NEW")} <> 'draft' OR {_version_status.format("OLD")} <> 'draft'
BEGIN SELECT RAISE(ABORT, 'the criteria of an active or retired rubric version cannot change'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS evaluations_rubricversion_frozen",
    "DROP TRIGGER IF EXISTS evaluations_criterion_frozen_insert",
    "DROP TRIGGER IF EXISTS evaluations_criterion_frozen_update",
]


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0004_open_version_and_protected_party")]
    operations = [
        migrations.RunPython(
            run_vendor_sql({"postgresql": POSTGRES, "sqlite": SQLITE}),
            run_vendor_sql({"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP}),
        )
    ]
