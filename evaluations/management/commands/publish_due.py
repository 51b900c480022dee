"""manage.py publish_due: publish every scheduled version whose time has come (for cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from evaluations.services.publishing import evaluation_versions_publish_due


class Command(BaseCommand):
    help = (
        "Publish every scheduled evaluation version whose time has come, and print how many. "
        "Idempotent: run it from cron as often as you like (the beat schedule and ./scripts/run's "
        "loop call the same service)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        published = evaluation_versions_publish_due()
        self.stdout.write(f"Published {published} due version(s).")
