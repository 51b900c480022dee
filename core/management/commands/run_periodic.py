"""manage.py run_periodic: run the beat schedule's jobs in this process (core.periodic)."""

from __future__ import annotations

import os
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.periodic import periodic_jobs, periodic_loop, periodic_run_due


class Command(BaseCommand):
    help = (
        "Run the periodic jobs (the Celery beat schedule: due publications, the stale-summary sweep, alerts) "
        "in this process, each when it is due. For the embedded default, where there is no beat; "
        "./scripts/run starts it beside the server. Stops on SIGTERM/SIGINT, or when its parent process ends."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tick", type=float, default=1.0, help="Seconds between looks at the schedule.")
        parser.add_argument("--once", action="store_true", help="Run every job once, then exit.")

    def handle(self, *args: Any, tick: float, once: bool, **options: Any) -> None:
        if once:
            ran = periodic_run_due(periodic_jobs())
            self.stdout.write(f"Ran {len(ran)} periodic job(s): {', '.join(ran) or 'none'}.")
            return
        if tick <= 0:
            self.stderr.write("--tick must be positive.")
            raise SystemExit(2)
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        parent = os.getppid()
        # Stops with whatever started it: a parent gone (even killed outright) reparents this process.
        periodic_loop(tick=tick, keep_going=lambda: not stopping and os.getppid() == parent)
