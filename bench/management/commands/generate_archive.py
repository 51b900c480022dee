from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from bench.synthetic import generate_archive


class Command(BaseCommand):
    help = (
        "Write a synthetic archive (cases marked is_synthetic) for benchmarks: skewed organizations, "
        "2-6 parties per case, several published versions per analysis, every criterion scored, "
        "annotations, sources. Deterministic for a given --seed; bulk writes (COPY on PostgreSQL)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--prefix", default="syn", help="Slug prefix of the synthetic rows.")
        parser.add_argument(
            "--skip-summaries",
            action="store_true",
            help="Leave risk summaries and exposures stale (the sweep or a recompute computes them).",
        )

    def handle(self, *args, cases: int, seed: int, prefix: str, skip_summaries: bool, **options):
        if cases < 1:
            raise CommandError("--cases must be at least 1")
        started = time.monotonic()
        try:
            report = generate_archive(
                cases=cases,
                seed=seed,
                prefix=prefix,
                compute_summaries=not skip_summaries,
                progress=lambda line: self.stderr.write(line),
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{report.line()}; total {time.monotonic() - started:.1f}s")
