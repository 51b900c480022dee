"""Database triggers that keep the record immutable, and their one escape hatch.

Migrations 0003, 0005, 0006, 0007 and 0008 install them, each with its own frozen SQL.
The triggers refuse any change to published analyses, frozen rubric versions,
the audit log and kept revisions, whatever the path (services, admin, ``QuerySet.update()``,
raw SQL in a shell).

The escape hatch is ``frozen_writes_allowed()``: inside it, and only inside
its transaction, the triggers stand aside. It works by inserting a row into
``evaluations_frozen_unlock`` that no other connection can see (it is deleted
again before the transaction commits, and rolled back with it on error). It is
used by whole-database operations only: ``backup_import`` (loading a backup
into an empty database) and ``flush`` (emptying a database, which the test
runner does between transactional tests). The triggers guard against bugs and
careless shell work, not against a database superuser, who can always drop
them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction

UNLOCK_TABLE = "evaluations_frozen_unlock"


@contextmanager
def frozen_writes_allowed(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Let this transaction write rows the triggers otherwise freeze (backup import, flush)."""
    connection = connections[using]
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {UNLOCK_TABLE} (reason) VALUES (%s)", ["whole-database operation"])  # noqa: S608
        yield
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {UNLOCK_TABLE}")  # noqa: S608
