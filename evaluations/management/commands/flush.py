"""Django's ``flush``, able to empty the frozen tables too.

Emptying the whole database (the test runner does it between transactional
tests; an operator before ``backup_import``) is the one legitimate way to
remove published analyses and audit entries, so it runs inside
``frozen_writes_allowed``. Everything else about the command is Django's.
"""

from __future__ import annotations

from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import connections

from evaluations.dbtriggers import UNLOCK_TABLE, frozen_writes_allowed


class Command(DjangoFlushCommand):
    def handle(self, **options) -> None:
        database = options["database"]
        if UNLOCK_TABLE not in connections[database].introspection.table_names():
            super().handle(**options)  # migrated to before the triggers: nothing to stand aside
            return
        with frozen_writes_allowed(using=database):
            super().handle(**options)
