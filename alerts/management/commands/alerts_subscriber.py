"""Export or erase everything held about one email address (subject-access and erasure requests)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from alerts import selectors, services


class Command(BaseCommand):
    help = "Export (JSON on stdout) or erase the alert data held about one email address."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["export", "erase"])
        parser.add_argument("email")

    def handle(self, *args, action: str, email: str, **options) -> None:
        if action == "export":
            data = selectors.subscriber_export(email)
            if data is None:
                raise CommandError("No alert data is held about this address.")
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        if not services.subscriber_erase(email=email):
            raise CommandError("No alert data is held about this address.")
        self.stdout.write("Erased the address, its subscriptions and its pending notices.")
