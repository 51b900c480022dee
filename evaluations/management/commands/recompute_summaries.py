from __future__ import annotations

import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases.models import Case, Party
from evaluations.models import RiskSummary
from evaluations.services import exposures, recompute_set


class Progress:
    """A plain progress bar on stderr (redrawn in place on a terminal, one line per step otherwise)."""

    def __init__(self, total: int, label: str, stream=None, width: int = 30):
        self.total, self.label, self.width = total, label, width
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.tty = self.stream.isatty()

    def update(self, done: int) -> None:
        share = done / self.total if self.total else 1
        filled = int(share * self.width)
        elapsed = time.monotonic() - self.started
        line = (
            f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
            f"{done}/{self.total} ({share:.0%}) {elapsed:.1f}s"
        )
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = (
        "Recompute risk summaries (every case, or one with --case) and the organization exposures they "
        "touch, synchronously, in this process. Unchanged inputs are skipped unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--case", metavar="SLUG", help="Only this case.")
        parser.add_argument(
            "--batch-size", type=int, default=settings.RECOMPUTE_BATCH_SIZE, help="Cases per transaction."
        )
        parser.add_argument("--force", action="store_true", help="Recompute even when the inputs did not change.")

    def handle(self, *args, case: str | None = None, batch_size: int = 0, force: bool = False, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        cases = Case.objects.all()
        if case is not None:
            cases = cases.filter(slug=case)
            if not cases.exists():
                raise CommandError(f"no case with slug {case!r}")
        case_ids = list(cases.order_by("pk").values_list("pk", flat=True))
        if force:
            RiskSummary.objects.filter(case_id__in=cases.values("pk")).update(inputs_hash="")
        started = time.monotonic()
        progress = Progress(len(case_ids), "summaries")
        rewritten = 0
        for start in range(0, len(case_ids), batch_size):
            batch = case_ids[start : start + batch_size]
            rewritten += len(recompute_set.risk_summaries_recompute_many(case_ids=batch, queue_exposures=False))
            progress.update(start + len(batch))
        progress.finish()

        organization_ids = list(
            Party.objects.filter(case_id__in=cases.values("pk"))
            .values_list("organization_id", flat=True)
            .distinct()
            .order_by("organization_id")
        )
        progress = Progress(len(organization_ids), "exposures")
        for start in range(0, len(organization_ids), batch_size):
            batch = organization_ids[start : start + batch_size]
            exposures.organization_exposures_recompute(organization_ids=batch)
            progress.update(start + len(batch))
        progress.finish()
        self.stdout.write(
            f"{len(case_ids)} summaries checked, {rewritten} rewritten; "
            f"{len(organization_ids)} exposures checked; {time.monotonic() - started:.1f}s."
        )
