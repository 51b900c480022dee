"""Real Celery workers on Redis against the test PostgreSQL database.

Run with DATABASE_URL (PostgreSQL) and REDIS_URL set; skipped otherwise.
"""

from __future__ import annotations

import math
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from cases.models import Case
from evaluations import tasks
from evaluations.models import EvaluationVersion, OrganizationExposure, PartyFigure, RiskSummary
from evaluations.services import exposures, publishing, recompute
from tests.support.content import version_in_review
from tests.support.synthetic import (
    assert_summary_matches,
    expected_summary,
    make_cases,
)
from tests.support.workers import activate_v2, assert_all_correct, summaries_done, wait_for

pytestmark = pytest.mark.worker


def test_activation_rescores_a_few_hundred_cases_on_a_worker(start_worker, v1, small_batches):
    case_ids = make_cases(300, v1)
    recompute.risk_summaries_recompute(case_ids=case_ids, queue_exposures=False)
    start_worker(concurrency=2)

    v2 = activate_v2(v1)
    wait_for(lambda: summaries_done(v2, case_ids), timeout=120)

    assert_all_correct(v2, case_ids)
    assert RiskSummary.objects.filter(case_id__in=case_ids, needs_reevaluation=True).count() == 300
    assert PartyFigure.objects.filter(summary__case_id__in=case_ids).count() == 600  # no duplicates


def test_a_full_recompute_queues_each_exposure_once_at_the_end(start_worker, v1, small_batches, monkeypatch):
    """Summaries, party figures and exposures all current, the exposures recomputed once, after the last batch.

    No debounce: at 100,000 cases the fan-out lasts far longer than EXPOSURE_DEBOUNCE_SECONDS, which
    coalesced nothing there; here 400 cases take less than the 5 s default, which would hide the
    difference.
    """
    monkeypatch.setenv("EXPOSURE_DEBOUNCE_SECONDS", "0")  # the workers' setting
    case_ids = make_cases(400, v1)
    recompute.risk_summaries_recompute(case_ids=case_ids, queue_exposures=False)
    organization_ids = list(OrganizationExposure.objects.values_list("organization_id", flat=True))
    exposures.organization_exposures_recompute(organization_ids=organization_ids)
    assert not OrganizationExposure.objects.filter(stale=True).exists()
    worker = start_worker(concurrency=2)

    v2 = activate_v2(v1)
    wait_for(
        lambda: summaries_done(v2, case_ids) and not OrganizationExposure.objects.filter(stale=True).exists(),
        timeout=120,
    )
    time.sleep(3)  # a late duplicate would arrive now

    assert_all_correct(v2, case_ids)
    assert PartyFigure.objects.filter(summary__case_id__in=case_ids).count() == 800
    # Current: read from the final figures, so recomputing them in process finds nothing to do.
    assert not OrganizationExposure.objects.filter(stale=True).exists()
    assert exposures.organization_exposures_recompute(organization_ids=organization_ids) == []
    # 20 batches of 20 cases, each touching most organizations. Once per organization is
    # ceil(organizations / 20) messages; two last batches committing together may both
    # send, hence twice that at most. Queued by every batch, they were one set per batch
    # (20 messages for the 12 organizations here).
    received = re.findall(r"Task [\w.]+\.(\w+)\[[^\]]+\] received", worker.log_path.read_text(errors="replace"))
    per_message = min(exposures.EXPOSURE_BATCH_SIZE, 20)
    once = math.ceil(len(organization_ids) / per_message)
    assert 0 < received.count("organization_exposures_recompute_task") <= 2 * once, (once, received)


def test_a_worker_killed_mid_fanout_loses_nothing(start_worker, v1, small_batches):
    case_ids = make_cases(400, v1)
    recompute.risk_summaries_recompute(case_ids=case_ids, queue_exposures=False)
    first = start_worker(concurrency=2, name="doomed")

    v2 = activate_v2(v1)
    wait_for(lambda: RiskSummary.objects.filter(rubric_version=v2, stale=False).exists(), timeout=60, interval=0.02)
    first.kill()  # SIGKILL, pool processes included: reserved messages stay unacknowledged
    done_at_kill = RiskSummary.objects.filter(rubric_version=v2, stale=False).count()
    assert done_at_kill < 400, "the fan-out finished before the kill; the test proves nothing"

    start_worker(concurrency=2, name="rescuer")

    def swept_and_done() -> bool:
        exposures.risk_summaries_sweep()  # what beat does every minute
        return summaries_done(v2, case_ids)

    wait_for(swept_and_done, timeout=120, interval=1)
    assert_all_correct(v2, case_ids)
    assert PartyFigure.objects.filter(summary__case_id__in=case_ids).count() == 800


def test_the_same_task_twice_and_two_workers_on_one_case(start_worker, v1, tmp_path):
    (case_id,) = make_cases(1, v1)
    recompute.risk_summaries_mark_stale([case_id])
    start_worker(concurrency=2, name="left")
    start_worker(concurrency=2, name="right")

    # Many messages for one case, taken by four processes in two workers at once.
    for _ in range(12):
        tasks.risk_summaries_recompute_task.delay([case_id])
    wait_for(lambda: RiskSummary.objects.filter(case_id=case_id, stale=False).exists(), timeout=60)
    time.sleep(3)  # let the other deliveries run too
    summary = RiskSummary.objects.get(case_id=case_id)
    assert_summary_matches(summary, expected_summary(case_id, v1), v1)
    assert PartyFigure.objects.filter(summary=summary).count() == 2
    computed_at = summary.computed_at

    # The same task again: the inputs hash says there is no work.
    tasks.risk_summaries_recompute_task.delay([case_id])
    tasks.risk_summaries_recompute_task.delay([case_id])
    time.sleep(3)
    assert RiskSummary.objects.get(case_id=case_id).computed_at == computed_at
    for log in tmp_path.glob("worker*.log"):
        assert "Traceback" not in log.read_text(errors="replace"), log


# --- Redis outage: our own redis-server, stopped and started on purpose -------------------


def publish_a_change(case_id: int, author) -> EvaluationVersion:
    version = version_in_review(case_id, author, lambda s: 4 if s.criterion.key == "dependency" else 0)
    return publishing.evaluation_version_publish(version=version, by=author)


@pytest.mark.faults
def test_publishing_succeeds_while_redis_is_down_and_the_sweep_catches_up(start_worker, own_redis, v1, small_batches):
    (case_id,) = make_cases(1, v1)
    # Not the `reviewer` fixture: its group comes from a data migration that an earlier
    # transactional test may have flushed. The publish service does not check roles.
    reviewer = get_user_model().objects.create_user("outage-reviewer")
    recompute.risk_summaries_recompute(case_ids=[case_id], queue_exposures=False)
    start_worker(concurrency=1, name="outage")

    own_redis.stop()
    started = time.monotonic()
    version = publish_a_change(case_id, reviewer)  # must not raise, nor hang
    assert time.monotonic() - started < 10
    assert EvaluationVersion.objects.get(pk=version.pk).state == "published"
    summary = RiskSummary.objects.get(case_id=case_id)
    assert summary.stale and summary.evaluation_version_id != version.pk  # owed, recorded in the database

    own_redis.start()

    def swept_and_done() -> bool:
        exposures.risk_summaries_sweep()
        return RiskSummary.objects.filter(case_id=case_id, evaluation_version=version, stale=False).exists()

    wait_for(swept_and_done, timeout=90, interval=1)
    assert_summary_matches(RiskSummary.objects.get(case_id=case_id), expected_summary(case_id, v1), v1)
    assert Case.objects.get(pk=case_id).risk_summary.computed_at <= timezone.now()
