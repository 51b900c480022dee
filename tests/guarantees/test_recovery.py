"""Recovery in a minute, measured: a worker SIGKILLed mid full recompute, and Redis stopped with tasks in flight.

Unlike the other fault tests, these run with the production recovery settings
(STALE_GRACE_SECONDS, SWEEP_INTERVAL_SECONDS, PENDING_MARKER_SECONDS at their
defaults) and a real beat process, so that what is measured is what a
deployment does: the markers, the grace period and the sweep interval all
count. Only the batch size is smaller, so that 10,000 cases make enough
messages for some to be lost. Each test prints its recovery time and asserts
it is under RECOVERY_SECONDS, then compares every summary with the pure
engine's answer. Skipped without DATABASE_URL (PostgreSQL) and REDIS_URL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from config.celery_app import app as celery_app
from evaluations import scoring, selectors
from evaluations.models import EvaluationVersion, PartyFigure, RiskSummary, RubricVersion, Score
from evaluations.services import recompute
from tests.support.synthetic import assert_summary_matches, make_cases
from tests.support.workers import ROOT, activate_v2, database_url_for_worker, summaries_done, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.faults]

RECOVERY_SECONDS = 60


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("fault tests need PostgreSQL and Redis (DATABASE_URL, REDIS_URL)")


@pytest.fixture
def production_recovery(monkeypatch, settings) -> None:
    """Every recovery setting at its default (for the workers, beat and this process); smaller batches."""
    for name in ("STALE_GRACE_SECONDS", "SWEEP_INTERVAL_SECONDS", "PENDING_MARKER_SECONDS", "HEALTH_STALE_MAX_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (("RECOMPUTE_BATCH_SIZE", 500), ("FANOUT_BATCHES_PER_STEP", 4)):
        monkeypatch.setenv(name, str(value))
        setattr(settings, name, value)


class Beat:
    """A `celery beat` process: the periodic sweep, as in production."""

    def __init__(self, workdir: Path):
        self.log_path = workdir / "beat.log"
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO",
             "--schedule", str(workdir / "celerybeat-schedule")],
            cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url_for_worker()},
            stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.close()


@pytest.fixture
def start_beat(tmp_path) -> Iterator[Callable[[], Beat]]:
    beats: list[Beat] = []

    def start() -> Beat:
        beats.append(Beat(tmp_path))
        return beats[-1]

    yield start
    for beat in beats:
        beat.stop()


def _active_pool_pids(worker_name: str) -> list[int]:
    replies = celery_app.control.inspect(destination=[f"{worker_name}@{os.uname().nodename}"], timeout=0.5).active()
    return [task["worker_pid"] for tasks in (replies or {}).values() for task in tasks if task.get("worker_pid")]


def _wait_for_a_running_batch(worker_name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _active_pool_pids(worker_name):
            return
    raise AssertionError(f"{worker_name} never ran a batch; the test proves nothing")


def _ready_scored(case_ids: list[int], v1: RubricVersion) -> None:
    """Summaries under v1 for every case, computed in this process (as a deployment's archive has)."""

    for start in range(0, len(case_ids), 2000):
        recompute.risk_summaries_recompute(case_ids=case_ids[start : start + 2000], queue_exposures=False)


def assert_all_equal_to_the_engine(rubric_version: RubricVersion, case_ids: list[int]) -> None:
    """Every summary (one row each) is what the pure engine computes from the published scores."""
    spec = selectors.rubric_spec(rubric_version)
    scores: dict[int, dict[int | None, dict[str, int]]] = {}
    published = Score.objects.filter(
        version__case_id__in=case_ids, version__state=EvaluationVersion.State.PUBLISHED
    ).values_list("version__case_id", "party_id", "criterion__key", "value")
    for case_id, party_id, key, value in published.iterator(chunk_size=10_000):
        scores.setdefault(case_id, {}).setdefault(party_id, {})[key] = value
    summaries = RiskSummary.objects.filter(case_id__in=case_ids).prefetch_related("party_figures")
    checked = 0
    for summary in summaries.iterator(chunk_size=2000):
        assert_summary_matches(summary, scoring.summarize(spec, scores[summary.case_id]), rubric_version)
        checked += 1
    assert checked == len(case_ids)
    assert PartyFigure.objects.filter(summary__case_id__in=case_ids).count() == 2 * len(case_ids)


def test_a_worker_killed_mid_recompute_of_10000_cases_recovers_within_a_minute(
    start_worker, start_beat, v1, production_recovery, client, settings
):
    case_ids = make_cases(10_000, v1)
    _ready_scored(case_ids, v1)
    start_beat()
    doomed = start_worker(concurrency=2, name="doomed")
    survivor = start_worker(concurrency=2, name="survivor")

    v2 = activate_v2(v1)
    _wait_for_a_running_batch("doomed")
    doomed.kill()  # SIGKILL, pool included: its running and reserved messages are lost
    killed_at = time.monotonic()
    done_at_kill = RiskSummary.objects.filter(rubric_version=v2, stale=False).count()
    assert done_at_kill < len(case_ids) / 2, "the recompute was nearly done at the kill; the test proves nothing"

    # Meanwhile /health/ says the backlog is too old (a threshold of 1 s, for this process).
    settings.HEALTH_STALE_MAX_SECONDS = 1
    time.sleep(1.5)
    response = client.get("/health/")
    if not summaries_done(v2, case_ids):
        assert response.status_code == 503, response.json()
        assert response.json()["status"] == "degraded" and response.json()["stale_summaries"]["count"] > 0

    wait_for(lambda: summaries_done(v2, case_ids), timeout=4 * RECOVERY_SECONDS, interval=0.5)
    recovered = time.monotonic() - killed_at
    print(f"\nworker SIGKILL with {len(case_ids) - done_at_kill} of {len(case_ids)} summaries owed: "
          f"every summary current {recovered:.1f}s after the kill")  # fmt: skip
    assert recovered < RECOVERY_SECONDS
    assert survivor.process.poll() is None
    assert_all_equal_to_the_engine(v2, case_ids)
    response = client.get("/health/")
    assert response.status_code == 200 and response.json()["stale_summaries"]["count"] == 0


def test_a_redis_outage_with_tasks_in_flight_keeps_the_worker_and_catches_up_within_a_minute(
    start_worker, start_beat, own_redis, v1, production_recovery
):
    case_ids = make_cases(5_000, v1)
    _ready_scored(case_ids, v1)
    start_beat()
    worker = start_worker(concurrency=2, name="steady")
    pid = worker.process.pid

    v2 = activate_v2(v1)
    _wait_for_a_running_batch("steady")
    own_redis.stop()  # with batches running and reserved: their acknowledgements cannot reach Redis
    outage_started = time.monotonic()
    time.sleep(8)
    assert worker.process.poll() is None, "the worker died while Redis was down"
    assert not summaries_done(v2, case_ids), "the recompute finished before the outage; the test proves nothing"
    own_redis.start()  # empty: the queue, the markers and the unacknowledged messages are gone
    returned_at = time.monotonic()

    wait_for(lambda: summaries_done(v2, case_ids), timeout=4 * RECOVERY_SECONDS, interval=0.5)
    caught_up = time.monotonic() - returned_at
    print(f"\nRedis down {returned_at - outage_started:.1f}s with tasks in flight: "
          f"every summary current {caught_up:.1f}s after it returned")  # fmt: skip
    # The same worker process, consuming again: it did the catching up (it is the only one).
    assert worker.process.poll() is None and worker.process.pid == pid
    log = worker.log_path.read_text(errors="replace")
    assert "Unrecoverable error" not in log, log[-3000:]
    assert log.count("Connected to") >= 2, "the worker never reconnected"
    assert caught_up < RECOVERY_SECONDS
    assert_all_equal_to_the_engine(v2, case_ids)
