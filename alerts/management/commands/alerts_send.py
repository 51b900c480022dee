"""What beat does for alerts, once, by hand: match newly published versions, then queue the digests due.

For the embedded default (no beat runs there) and for cron-driven setups.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from alerts import services


class Command(BaseCommand):
    help = "Match newly published versions to alert subscribers and send the digests that are due."

    def handle(self, *args, **options) -> None:
        matched = services.alerts_scan()
        weekly = services.alert_digests_weekly()
        self.stdout.write(f"Checked {matched} published versions not seen before; {weekly} weekly digests due.")
