"""Measure the full recompute of N cases by real workers after a rubric activation.

    DATABASE_URL=postgres://.../scratch_db REDIS_URL=redis://127.0.0.1:6379/N \\
        .venv/bin/python scripts/measure_recompute.py --cases 10000 --concurrency 1 --flush

FLUSHES the database it is given (--flush is required to say you mean it),
creates N published, scored synthetic cases under rubric v1, computes their
summaries, starts one `celery worker`, activates a v2 (one criterion dropped,
one reweighted, one added) and reports the wall-clock time from the
activation's commit until every summary is current under v2, and how many
messages the fan-out sent. It then times the synchronous
`manage.py recompute_summaries --force` over the same cases.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--flush", action="store_true", required=True)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit("set DATABASE_URL (PostgreSQL) and REDIS_URL")

    import django

    django.setup()
    from django.core.management import call_command

    from config.celery_app import app as celery_app
    from evaluations import services
    from evaluations.demo import DATA_DIR, load_rubric
    from evaluations.models import RiskSummary
    from tests.evaluations.synthetic import make_cases, new_rubric_version_data

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    celery_app.control.purge()
    v1 = load_rubric(json.loads((DATA_DIR / "rubric_v1.json").read_text()))
    t = time.monotonic()
    case_ids = make_cases(args.cases, v1, prefix="bench")
    print(f"created {len(case_ids)} cases in {time.monotonic() - t:.1f}s")
    t = time.monotonic()
    for start in range(0, len(case_ids), 1000):
        services.risk_summaries_recompute(case_ids=case_ids[start : start + 1000], queue_exposures=False)
    print(f"initial summaries (in-process, no worker) in {time.monotonic() - t:.1f}s")

    log = open(ROOT / "var" / "measure-worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "INFO", "-c", str(args.concurrency),
         "-n", "bench@%h", "--without-gossip", "--without-mingle"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not celery_app.control.ping(destination=[f"bench@{os.uname().nodename}"], timeout=0.5):
            if time.monotonic() > deadline:
                sys.exit("worker did not start")
        v2 = services.rubric_version_create(rubric=v1.rubric, data=new_rubric_version_data(v1), by=None)
        t = time.monotonic()
        services.rubric_version_activate(version=v2, by=None)
        while RiskSummary.objects.filter(rubric_version=v2, stale=False).count() < len(case_ids):
            time.sleep(0.1)
        elapsed = time.monotonic() - t
    finally:
        worker.terminate()
        worker.wait(30)
        log.close()
    text = (ROOT / "var" / "measure-worker.log").read_text(errors="replace")
    received = {
        name: sum(1 for line in text.splitlines() if f"tasks.{name}[" in line and line.endswith("received"))
        for name in ("risk_summaries_recompute_fanout_task", "risk_summaries_recompute_batch_task",
                     "organization_exposures_recompute_task")
    }  # fmt: skip
    # Includes the (empty) fan-out of v1's own activation during setup.
    print(
        f"worker (concurrency {args.concurrency}): {len(case_ids)} summaries current under v2 "
        f"{elapsed:.1f}s after activation; messages: {received}"
    )
    t = time.monotonic()
    call_command("recompute_summaries", "--force")
    print(f"manage.py recompute_summaries --force: {time.monotonic() - t:.1f}s")


if __name__ == "__main__":
    main()
