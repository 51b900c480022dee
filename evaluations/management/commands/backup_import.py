"""manage.py backup_import PATH: load a backup into an empty database (migrated to the same code)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluations.backup import BackupError, backup_import


class Command(BaseCommand):
    help = (
        "Import a backup made by backup_export into an empty, migrated database, in one transaction. "
        "Published analyses and the audit log are written despite the immutability triggers "
        "(evaluations.dbtriggers.frozen_writes_allowed)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--database", default="default")

    def handle(self, *, path: Path, database: str, **options) -> None:
        try:
            counts = backup_import(path, using=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Imported {sum(counts.values())} rows from {path}")
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count}")
