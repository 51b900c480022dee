"""The database refuses changes to published analyses and to the audit log.

A published or superseded evaluation version keeps its content: no UPDATE of
its columns except the one transition the publish service makes (published to
superseded, with ``updated_at``), no DELETE. Its scores, their links to
sources and its annotations cannot be inserted, changed or deleted. Audit
entries are append-only. Active and retired rubric versions and their
criteria cannot be deleted either, and 0005's triggers are redefined so that
all of them stand aside inside ``evaluations.dbtriggers.frozen_writes_allowed``
(backup import into an empty database, flush), which is the only way around.
"""

from importlib import import_module

from django.db import migrations

UNLOCK_TABLE = "evaluations_frozen_unlock"  # frozen copy of evaluations.dbtriggers.UNLOCK_TABLE


# Frozen copy (a migration keeps doing what it did when the app's code changes).
def run_vendor_sql(statements_by_vendor):
    """A RunPython function executing the statements written for the connection's vendor."""

    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for statement in [statements] if isinstance(statements, str) else statements:
            schema_editor.execute(statement, params=None)

    return run

FROZEN = "('published', 'superseded')"
# Every column of an evaluation version except state and updated_at.
VERSION_CONTENT = [
    "id", "evaluation_id", "case_id", "number", "author_id", "based_on_id", "narrative", "verdict", "change_note",
    "correction_note", "lock_version", "created_at", "submitted_at", "publish_at", "published_at", "published_by_id",
]
RUBRIC_CONTENT = ["rubric_id", "number", "changelog", "scale_min", "scale_max", "scale_labels", "families", "classification"]
STATE_OK = "(NEW.state = OLD.state OR (OLD.state = 'published' AND NEW.state = 'superseded'))"
STATUS_OK = "(NEW.status = OLD.status OR (OLD.status = 'active' AND NEW.status = 'retired'))"
CREATE_UNLOCK = f"CREATE TABLE {UNLOCK_TABLE} (reason varchar(100) NOT NULL)"
DROP_UNLOCK = f"DROP TABLE IF EXISTS {UNLOCK_TABLE}"


def _changed(columns, distinct):
    return " OR ".join(f"NEW.{c} {distinct} OLD.{c}" for c in columns)


# --- PostgreSQL -----------------------------------------------------------------

PG_DONE = "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW;"
PG_UNLOCKED = f"IF EXISTS (SELECT 1 FROM {UNLOCK_TABLE}) THEN {PG_DONE} END IF;"
PG_RAISE = "USING ERRCODE = 'check_violation'"

POSTGRES = [
    CREATE_UNLOCK,
    f"""
CREATE OR REPLACE FUNCTION evaluations_version_frozen() RETURNS trigger AS $$
BEGIN
  {PG_UNLOCKED}
  IF OLD.state IN {FROZEN} THEN
    IF TG_OP = 'DELETE' THEN
      RAISE EXCEPTION 'evaluation version % is %: it stays on the record', OLD.id, OLD.state {PG_RAISE};
    END IF;
    IF {_changed(VERSION_CONTENT, "IS DISTINCT FROM")} OR NOT {STATE_OK} THEN
      RAISE EXCEPTION 'evaluation version % is %: it can no longer change', OLD.id, OLD.state {PG_RAISE};
    END IF;
  END IF;
  {PG_DONE}
END $$ LANGUAGE plpgsql;
CREATE TRIGGER evaluations_version_frozen BEFORE UPDATE OR DELETE ON evaluations_evaluationversion
  FOR EACH ROW EXECUTE FUNCTION evaluations_version_frozen();
""",
    # Scores and annotations: both reach their version through version_id.
    f"""
CREATE OR REPLACE FUNCTION evaluations_version_part_frozen() RETURNS trigger AS $$
DECLARE st text;
BEGIN
  {PG_UNLOCKED}
  IF TG_OP <> 'INSERT' THEN
    SELECT state INTO st FROM evaluations_evaluationversion WHERE id = OLD.version_id;
    IF st IN {FROZEN} THEN
      RAISE EXCEPTION '% of a % evaluation version cannot change', TG_TABLE_NAME, st {PG_RAISE};
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    SELECT state INTO st FROM evaluations_evaluationversion WHERE id = NEW.version_id;
    IF st IN {FROZEN} THEN
      RAISE EXCEPTION '% of a % evaluation version cannot change', TG_TABLE_NAME, st {PG_RAISE};
    END IF;
  END IF;
  {PG_DONE}
END $$ LANGUAGE plpgsql;
CREATE TRIGGER evaluations_score_frozen BEFORE INSERT OR UPDATE OR DELETE ON evaluations_score
  FOR EACH ROW EXECUTE FUNCTION evaluations_version_part_frozen();
CREATE TRIGGER evaluations_annotation_frozen BEFORE INSERT OR UPDATE OR DELETE ON evaluations_annotation
  FOR EACH ROW EXECUTE FUNCTION evaluations_version_part_frozen();
""",
    f"""
CREATE OR REPLACE FUNCTION evaluations_score_source_frozen() RETURNS trigger AS $$
DECLARE st text;
BEGIN
  {PG_UNLOCKED}
  IF TG_OP <> 'INSERT' THEN
    SELECT v.state INTO st FROM evaluations_score s JOIN evaluations_evaluationversion v ON v.id = s.version_id
     WHERE s.id = OLD.score_id;
    IF st IN {FROZEN} THEN
      RAISE EXCEPTION 'the sources of a score in a % evaluation version cannot change', st {PG_RAISE};
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    SELECT v.state INTO st FROM evaluations_score s JOIN evaluations_evaluationversion v ON v.id = s.version_id
     WHERE s.id = NEW.score_id;
    IF st IN {FROZEN} THEN
      RAISE EXCEPTION 'the sources of a score in a % evaluation version cannot change', st {PG_RAISE};
    END IF;
  END IF;
  {PG_DONE}
END $$ LANGUAGE plpgsql;
CREATE TRIGGER evaluations_score_source_frozen BEFORE INSERT OR UPDATE OR DELETE ON evaluations_score_sources
  FOR EACH ROW EXECUTE FUNCTION evaluations_score_source_frozen();
""",
    f"""
CREATE OR REPLACE FUNCTION evaluations_audit_append_only() RETURNS trigger AS $$
BEGIN
  {PG_UNLOCKED}
  RAISE EXCEPTION 'audit entries are append-only' {PG_RAISE};
END $$ LANGUAGE plpgsql;
CREATE TRIGGER evaluations_audit_append_only BEFORE UPDATE OR DELETE ON evaluations_auditentry
  FOR EACH ROW EXECUTE FUNCTION evaluations_audit_append_only();
""",
    # 0005's rubric triggers again, now also refusing deletion and honouring the unlock.
    f"""
CREATE OR REPLACE FUNCTION evaluations_rubricversion_frozen() RETURNS trigger AS $$
BEGIN
  {PG_UNLOCKED}
  IF OLD.status <> 'draft' AND (TG_OP = 'DELETE' OR {_changed(RUBRIC_CONTENT, "IS DISTINCT FROM")} OR NOT {STATUS_OK}) THEN
    RAISE EXCEPTION 'rubric version % is %: it can no longer change', OLD.number, OLD.status {PG_RAISE};
  END IF;
  {PG_DONE}
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS evaluations_rubricversion_frozen ON evaluations_rubricversion;
CREATE TRIGGER evaluations_rubricversion_frozen BEFORE UPDATE OR DELETE ON evaluations_rubricversion
  FOR EACH ROW EXECUTE FUNCTION evaluations_rubricversion_frozen();

CREATE OR REPLACE FUNCTION evaluations_criterion_frozen() RETURNS trigger AS $$
DECLARE st text;
BEGIN
  {PG_UNLOCKED}
  IF TG_OP <> 'DELETE' THEN
    SELECT status INTO st FROM evaluations_rubricversion WHERE id = NEW.version_id;
    IF st <> 'draft' THEN
      RAISE EXCEPTION 'the criteria of a % rubric version cannot change', st {PG_RAISE};
    END IF;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    SELECT status INTO st FROM evaluations_rubricversion WHERE id = OLD.version_id;
    IF st <> 'draft' THEN
      RAISE EXCEPTION 'the criteria of a % rubric version cannot change', st {PG_RAISE};
    END IF;
  END IF;
  {PG_DONE}
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS evaluations_criterion_frozen ON evaluations_criterion;
CREATE TRIGGER evaluations_criterion_frozen BEFORE INSERT OR UPDATE OR DELETE ON evaluations_criterion
  FOR EACH ROW EXECUTE FUNCTION evaluations_criterion_frozen();
""",
]

# Reversing goes back to 0005's functions and triggers as they were.
_0005 = import_module("evaluations.migrations.0005_workers_frozen_rubric_versions")
PG_0005, SQLITE_0005 = _0005.POSTGRES, _0005.SQLITE

POSTGRES_DROP = [
    """
DROP TRIGGER IF EXISTS evaluations_version_frozen ON evaluations_evaluationversion;
DROP FUNCTION IF EXISTS evaluations_version_frozen();
DROP TRIGGER IF EXISTS evaluations_score_frozen ON evaluations_score;
DROP TRIGGER IF EXISTS evaluations_annotation_frozen ON evaluations_annotation;
DROP FUNCTION IF EXISTS evaluations_version_part_frozen();
DROP TRIGGER IF EXISTS evaluations_score_source_frozen ON evaluations_score_sources;
DROP FUNCTION IF EXISTS evaluations_score_source_frozen();
DROP TRIGGER IF EXISTS evaluations_audit_append_only ON evaluations_auditentry;
DROP FUNCTION IF EXISTS evaluations_audit_append_only();
DROP TRIGGER IF EXISTS evaluations_rubricversion_frozen ON evaluations_rubricversion;
DROP TRIGGER IF EXISTS evaluations_criterion_frozen ON evaluations_criterion;
""",
    PG_0005,
    DROP_UNLOCK,
]

# --- SQLite ---------------------------------------------------------------------

LOCKED = f"NOT EXISTS (SELECT 1 FROM {UNLOCK_TABLE})"


def _state(row: str) -> str:
    return f"(SELECT state FROM evaluations_evaluationversion WHERE id = {row}.version_id)"


def _score_state(row: str) -> str:
    return (
        "(SELECT v.state FROM evaluations_score s JOIN evaluations_evaluationversion v ON v.id = s.version_id"
        f" WHERE s.id = {row}.score_id)"
    )


def _status(row: str) -> str:
    return f"(SELECT status FROM evaluations_rubricversion WHERE id = {row}.version_id)"


def _trigger(name: str, event: str, table: str, when: str, message: str) -> str:
    return (
        f"CREATE TRIGGER {name} BEFORE {event} ON {table} WHEN {LOCKED} AND ({when})\n"
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END;"
    )


def _part_triggers(table: str, state, what: str) -> list[str]:
    message = f"{what} of a published or superseded evaluation version cannot change"
    return [
        _trigger(f"{table}_frozen_insert", "INSERT", table, f"{state('NEW')} IN {FROZEN}", message),
        _trigger(
            f"{table}_frozen_update", "UPDATE", table, f"{state('NEW')} IN {FROZEN} OR {state('OLD')} IN {FROZEN}", message
        ),
        _trigger(f"{table}_frozen_delete", "DELETE", table, f"{state('OLD')} IN {FROZEN}", message),
    ]


SQLITE_OWN_DROP = [
    "DROP TRIGGER IF EXISTS evaluations_version_frozen_update",
    "DROP TRIGGER IF EXISTS evaluations_version_frozen_delete",
    *(
        f"DROP TRIGGER IF EXISTS {table}_frozen_{event}"
        for table in ("evaluations_score", "evaluations_annotation", "evaluations_score_sources")
        for event in ("insert", "update", "delete")
    ),
    "DROP TRIGGER IF EXISTS evaluations_audit_no_update",
    "DROP TRIGGER IF EXISTS evaluations_audit_no_delete",
    "DROP TRIGGER IF EXISTS evaluations_rubricversion_frozen",
    "DROP TRIGGER IF EXISTS evaluations_rubricversion_frozen_delete",
    "DROP TRIGGER IF EXISTS evaluations_criterion_frozen_insert",
    "DROP TRIGGER IF EXISTS evaluations_criterion_frozen_update",
    "DROP TRIGGER IF EXISTS evaluations_criterion_frozen_delete",
]

SQLITE = [
    CREATE_UNLOCK,
    *SQLITE_OWN_DROP,  # 0005's rubric triggers, redefined below
    _trigger(
        "evaluations_version_frozen_update",
        "UPDATE",
        "evaluations_evaluationversion",
        f"OLD.state IN {FROZEN} AND ({_changed(VERSION_CONTENT, 'IS NOT')} OR NOT {STATE_OK})",
        "a published or superseded evaluation version can no longer change",
    ),
    _trigger(
        "evaluations_version_frozen_delete",
        "DELETE",
        "evaluations_evaluationversion",
        f"OLD.state IN {FROZEN}",
        "a published or superseded evaluation version stays on the record",
    ),
    *_part_triggers("evaluations_score", _state, "the scores"),
    *_part_triggers("evaluations_annotation", _state, "the annotations"),
    *_part_triggers("evaluations_score_sources", _score_state, "the sources of the scores"),
    _trigger("evaluations_audit_no_update", "UPDATE", "evaluations_auditentry", "1", "audit entries are append-only"),
    _trigger("evaluations_audit_no_delete", "DELETE", "evaluations_auditentry", "1", "audit entries are append-only"),
    _trigger(
        "evaluations_rubricversion_frozen",
        "UPDATE",
        "evaluations_rubricversion",
        f"OLD.status <> 'draft' AND ({_changed(RUBRIC_CONTENT, 'IS NOT')} OR NOT {STATUS_OK})",
        "an active or retired rubric version can no longer change",
    ),
    _trigger(
        "evaluations_rubricversion_frozen_delete",
        "DELETE",
        "evaluations_rubricversion",
        "OLD.status <> 'draft'",
        "an active or retired rubric version stays on the record",
    ),
    _trigger(
        "evaluations_criterion_frozen_insert",
        "INSERT",
        "evaluations_criterion",
        f"{_status('NEW')} <> 'draft'",
        "the criteria of an active or retired rubric version cannot change",
    ),
    _trigger(
        "evaluations_criterion_frozen_update",
        "UPDATE",
        "evaluations_criterion",
        f"{_status('NEW')} <> 'draft' OR {_status('OLD')} <> 'draft'",
        "the criteria of an active or retired rubric version cannot change",
    ),
    _trigger(
        "evaluations_criterion_frozen_delete",
        "DELETE",
        "evaluations_criterion",
        f"{_status('OLD')} <> 'draft'",
        "the criteria of an active or retired rubric version cannot change",
    ),
]

SQLITE_DROP = [*SQLITE_OWN_DROP, *SQLITE_0005, DROP_UNLOCK]


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0005_workers_frozen_rubric_versions")]
    operations = [
        migrations.RunPython(
            run_vendor_sql({"postgresql": POSTGRES, "sqlite": SQLITE}),
            run_vendor_sql({"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP}),
        )
    ]
