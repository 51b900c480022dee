"""Faults under a real worker on PostgreSQL and Redis: the pieces tests/guarantees/test_workers.py lacks.

There: SIGKILL of a whole worker mid fan-out, the same task twice and two
workers on one case, Redis stopped while editors publish. Here: SIGKILL of a
pool process (the main worker survives and forks a new one) in the middle of
a batch, and the worker's database connections cut with
``pg_terminate_backend`` mid-task (what a PostgreSQL restart does to them,
without restarting the shared server). Each ends with every summary equal to
the pure engine's answer. Skipped without DATABASE_URL (PostgreSQL) and
REDIS_URL.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.db import connection

from config.celery_app import app as celery_app
from evaluations.models import PartyFigure, RiskSummary
from evaluations.services import exposures, recompute
from tests.support.synthetic import make_cases
from tests.support.workers import activate_v2, assert_all_correct, summaries_done, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.faults]


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("fault tests need PostgreSQL and Redis (DATABASE_URL, REDIS_URL)")


def _active_pool_pids(worker_name: str) -> list[int]:
    replies = celery_app.control.inspect(destination=[f"{worker_name}@{os.uname().nodename}"], timeout=0.5).active()
    return [task["worker_pid"] for tasks in (replies or {}).values() for task in tasks if task.get("worker_pid")]


def _sweep_until_done(v2, case_ids, timeout: float = 150) -> None:
    def swept_and_done() -> bool:
        exposures.risk_summaries_sweep()  # what beat does every minute
        return summaries_done(v2, case_ids)

    wait_for(swept_and_done, timeout=timeout, interval=1)


def test_a_pool_process_killed_mid_batch(start_worker, v1, small_batches):
    case_ids = make_cases(400, v1)
    recompute.risk_summaries_recompute(case_ids=case_ids, queue_exposures=False)
    worker = start_worker(concurrency=2, name="pool")

    v2 = activate_v2(v1)
    killed: list[int] = []
    deadline = time.monotonic() + 60
    while not killed and time.monotonic() < deadline:
        for pid in _active_pool_pids("pool")[:1]:  # a child busy with a batch right now
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
    assert killed, "no batch was caught running; the test proves nothing"
    assert worker.process.poll() is None, "the main worker process must survive its child"
    done_at_kill = RiskSummary.objects.filter(rubric_version=v2, stale=False).count()
    assert done_at_kill < len(case_ids), "the fan-out finished before the kill"

    _sweep_until_done(v2, case_ids)
    assert_all_correct(v2, case_ids)
    assert PartyFigure.objects.filter(summary__case_id__in=case_ids).count() == 2 * len(case_ids)
    # The pool replaced its child. (Its log line about the SIGKILL is not asserted: when the child had
    # just finished its batch as the signal landed, there is no lost task to report.)
    assert worker.process.poll() is None


def _terminate_worker_connections() -> int:
    """Cut every other connection to the test database, as a PostgreSQL restart would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_database_connections_cut_mid_task_are_retried(start_worker, v1, small_batches):
    case_ids = make_cases(400, v1)
    recompute.risk_summaries_recompute(case_ids=case_ids, queue_exposures=False)
    worker = start_worker(concurrency=2, name="cut")

    v2 = activate_v2(v1)
    cut_mid_task = 0
    done_at_first_cut = None
    deadline = time.monotonic() + 60
    while cut_mid_task < 3 and time.monotonic() < deadline:  # several outages, each while a batch runs
        if _active_pool_pids("cut") and _terminate_worker_connections():
            cut_mid_task += 1
            if done_at_first_cut is None:
                done_at_first_cut = RiskSummary.objects.filter(rubric_version=v2, stale=False).count()
            time.sleep(0.3)
    assert cut_mid_task, "no connection was cut while a batch ran; the test proves nothing"
    assert done_at_first_cut < len(case_ids), "the fan-out finished before the first cut"

    # No sweep here: the tasks' own retries must finish the work.
    wait_for(lambda: summaries_done(v2, case_ids), timeout=150, interval=1)
    assert_all_correct(v2, case_ids)
    assert PartyFigure.objects.filter(summary__case_id__in=case_ids).count() == 2 * len(case_ids)
    assert worker.process.poll() is None
