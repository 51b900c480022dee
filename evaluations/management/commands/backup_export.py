"""manage.py backup_export PATH: the whole database content to a JSON file (.gz to compress)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from evaluations.backup import backup_export


class Command(BaseCommand):
    help = "Export the whole database content (see evaluations/backup.py) to PATH; gzip when PATH ends in .gz."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--database", default="default")

    def handle(self, *, path: Path, database: str, **options) -> None:
        counts = backup_export(path, using=database)
        self.stdout.write(f"Exported {sum(counts.values())} rows to {path}")
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count}")
