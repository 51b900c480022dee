from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from evaluations.demo import create_demo_accounts, load_demo


class Command(BaseCommand):
    help = "Load rubric v1 and the demo cases with their published evaluations (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--with-accounts",
            action="store_true",
            help="Also create demo editor, reviewer and admin accounts (refused when DEBUG is off).",
        )

    def handle(self, *args, with_accounts: bool = False, **options):
        if with_accounts and not settings.DEBUG:
            raise CommandError("Refusing to create demo accounts with DEBUG off: this is not a demo site.")
        result = load_demo()
        self.stdout.write(f"Demo data: {result['cases_created']} cases created, {result['cases_total']} in all.")
        if with_accounts:
            for username, password in create_demo_accounts():
                if password is None:
                    self.stdout.write(f"  account {username}: already exists, password unchanged")
                else:
                    self.stdout.write(f"  account {username}: password {password}  (shown once)")
