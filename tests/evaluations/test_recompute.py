"""The recompute services in-process: batches, idempotency, coalescing, fan-out, sweep."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from cases.models import Case
from evaluations import queue, tasks
from evaluations.models import OrganizationExposure, PartyFigure, RiskSummary, RubricVersion
from evaluations.services import exposures, recompute
from tests.support.synthetic import assert_summary_matches, expected_summary, make_cases

COLOSSUS = "xai-anthropic-colossus-1"


@pytest.fixture
def v1(demo) -> RubricVersion:
    return RubricVersion.objects.get(status=RubricVersion.Status.ACTIVE)


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, tuple]]:
    """Record messages instead of sending them (the broker is not under test here)."""
    messages: list[tuple[str, tuple]] = []

    def fake_send(task, *args, countdown=None):
        messages.append((task.rsplit(".", 1)[-1], args))
        return True

    monkeypatch.setattr(queue, "send", fake_send)
    return messages


def test_the_same_task_twice_leaves_the_same_row(v1):
    case = Case.objects.get(slug=COLOSSUS)
    RiskSummary.objects.filter(case=case).update(inputs_hash="", stale=True, stale_since=timezone.now())
    assert tasks.risk_summaries_recompute_task.apply(args=[[case.pk]]).get() == 1
    first = RiskSummary.objects.values().get(case=case)
    figures = list(PartyFigure.objects.filter(summary__case=case).values_list("party_id", "dependency"))
    assert tasks.risk_summaries_recompute_task.apply(args=[[case.pk]]).get() == 0
    assert RiskSummary.objects.values().get(case=case) == first
    assert list(PartyFigure.objects.filter(summary__case=case).values_list("party_id", "dependency")) == figures
    assert not first["stale"]


def test_unchanged_inputs_only_clear_the_stale_flag(v1):
    case = Case.objects.get(slug=COLOSSUS)
    before = RiskSummary.objects.get(case=case)
    recompute.risk_summaries_mark_stale([case.pk])
    assert recompute.risk_summaries_recompute(case_ids=[case.pk]) == []
    after = RiskSummary.objects.get(case=case)
    assert not after.stale and after.computed_at == before.computed_at


def test_batch_reads_a_fixed_number_of_queries(v1):
    small = make_cases(3, v1, prefix="small")
    large = make_cases(30, v1, prefix="large")

    def queries_for(case_ids):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            recompute.risk_summaries_recompute(case_ids=case_ids, queue_exposures=False)
        return len(ctx.captured_queries)

    assert queries_for(small) == queries_for(large)
    for case_id in large:
        assert_summary_matches(RiskSummary.objects.get(case_id=case_id), expected_summary(case_id, v1), v1)


def test_deleted_and_unknown_cases_are_ignored(v1):
    case = Case.objects.get(slug=COLOSSUS)
    assert recompute.risk_summaries_recompute(case_ids=[999_999]) == []
    assert not RiskSummary.objects.filter(case_id=999_999).exists()
    assert recompute.risk_summary_recompute(case_id=case.pk) is False


def test_a_request_while_one_is_pending_is_coalesced(v1, sent, django_capture_on_commit_callbacks):
    case = Case.objects.get(slug=COLOSSUS)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            recompute.risk_summary_request(case.pk)
    assert sent == [("risk_summaries_recompute_task", ([case.pk],))]

    # Once the task has started (it releases the marker before reading), a new change queues again.
    queue.release_pending("summary", [case.pk])
    with django_capture_on_commit_callbacks(execute=True):
        recompute.risk_summary_request(case.pk)
    assert len(sent) == 2


def test_the_stale_flag_is_set_in_the_publishing_transaction(v1):
    case = Case.objects.get(slug=COLOSSUS)
    with pytest.raises(RuntimeError), transaction.atomic():
        recompute.risk_summary_request(case.pk)
        assert RiskSummary.objects.get(case=case).stale
        raise RuntimeError("the change is rolled back")
    assert not RiskSummary.objects.get(case=case).stale  # and so is the flag


def test_fanout_is_bounded(v1, sent, settings):
    settings.RECOMPUTE_BATCH_SIZE = 3
    settings.FANOUT_BATCHES_PER_STEP = 2
    recompute.risk_summaries_mark_stale(Case.objects.values("pk"))
    # Walk the chain as the workers would: each step queues its batches and the next step.
    steps, after = 0, 0
    while True:
        steps += 1
        count = len(sent)
        recompute.risk_summaries_fanout(rubric_id=v1.rubric_id, after_case_id=after)
        step = sent[count:]
        batches = [args[0] for name, args in step if name == "risk_summaries_recompute_task"]
        assert len(batches) <= 2 and all(len(b) <= 3 for b in batches)
        follow = [args for name, args in step if name == "risk_summaries_fanout_task"]
        if not follow:
            break
        after = follow[0][1]
        assert after == batches[-1][-1]
    queued = [i for name, args in sent if name == "risk_summaries_recompute_task" for i in args[0]]
    assert sorted(queued) == sorted(Case.objects.values_list("pk", flat=True))  # each case once
    assert steps == 3 and len(sent) == 6 + 2  # ceil(16 / 3) batches, two follow-up steps


def test_sweep_requeues_only_what_is_stale_beyond_the_grace_and_not_already_queued(v1, sent, settings):
    settings.STALE_GRACE_SECONDS = 60
    settings.RECOMPUTE_BATCH_SIZE = 10
    now = timezone.now()
    old, recent = list(Case.objects.order_by("pk").values_list("pk", flat=True))[:12], None
    RiskSummary.objects.filter(case_id__in=old).update(stale=True, stale_since=now - timedelta(minutes=5))
    recent = Case.objects.exclude(pk__in=old).values_list("pk", flat=True)[0]
    RiskSummary.objects.filter(case_id=recent).update(stale=True, stale_since=now)
    queue.claim_pending("summary", old[:2])  # already waiting in the queue

    assert exposures.risk_summaries_sweep(now=now) == 10
    batches = [args[0] for name, args in sent if name == "risk_summaries_recompute_task"]
    assert sorted(i for b in batches for i in b) == sorted(old[2:]) and all(len(b) <= 10 for b in batches)
    sent.clear()
    assert exposures.risk_summaries_sweep(now=now) == 0  # coalesced with what the last sweep queued


def test_sweep_with_the_broker_down_leaves_the_work_for_the_next_sweep(v1, monkeypatch, settings):
    settings.STALE_GRACE_SECONDS = 0
    monkeypatch.setattr(queue, "send", lambda task, *args, **kwargs: False)
    RiskSummary.objects.update(stale=True, stale_since=timezone.now() - timedelta(minutes=5))
    assert exposures.risk_summaries_sweep() == 0
    assert RiskSummary.objects.filter(stale=True).count() == 16
    assert queue.claim_pending("summary", [RiskSummary.objects.first().case_id])  # markers released


class Killed(BaseException):
    """A SIGKILL, as far as the code being killed can tell: nothing after it runs."""


def test_a_sweep_killed_before_sending_holds_the_work_back_for_seconds_not_minutes(v1, monkeypatch, settings):
    settings.STALE_GRACE_SECONDS = 0
    monkeypatch.setattr(queue, "CLAIM_SECONDS", 1)

    def killed(task, *args, **kwargs):
        raise Killed

    monkeypatch.setattr(queue, "send", killed)
    RiskSummary.objects.update(stale=True, stale_since=timezone.now() - timedelta(minutes=5))
    case_id = RiskSummary.objects.order_by("case_id").first().case_id
    with pytest.raises(Killed):
        exposures.risk_summaries_sweep()
    assert queue.claim_pending("summary", [case_id], timeout=1) == []  # claimed by the dead sweep
    time.sleep(1.5)
    # No message was ever sent for it: the claim lapses, and the next sweep queues the work.
    assert queue.claim_pending("summary", [case_id]) == [case_id]


def test_a_sent_batch_keeps_its_markers_until_a_worker_receives_it(v1, sent, monkeypatch, settings):
    settings.STALE_GRACE_SECONDS = 0
    monkeypatch.setattr(queue, "CLAIM_SECONDS", 1)
    RiskSummary.objects.update(stale=True, stale_since=timezone.now() - timedelta(minutes=5))
    assert exposures.risk_summaries_sweep() == 16
    time.sleep(1.5)
    assert exposures.risk_summaries_sweep() == 0  # still waiting in the queue: not sent twice

    # A worker that takes the batch before the sender confirms it: the released marker stays released.
    received = next(args[0] for name, args in sent if name == "risk_summaries_recompute_task")
    monkeypatch.setattr(
        queue, "send", lambda task, ids, **kwargs: queue.release_pending_on_receipt("summary", ids) or True
    )
    queue.release_pending("summary", received)
    assert queue.send_coalesced(queue.RISK_SUMMARIES_RECOMPUTE, "summary", received, batch_size=100) == (
        len(received),
        True,
    )
    assert queue.claim_pending("summary", received) == received


def test_exposures_are_recomputed_after_the_summary_changes(v1, django_capture_on_commit_callbacks):
    case = Case.objects.get(slug=COLOSSUS)
    OrganizationExposure.objects.all().delete()
    RiskSummary.objects.filter(case=case).update(inputs_hash="")
    with django_capture_on_commit_callbacks(execute=True):
        recompute.risk_summary_recompute(case_id=case.pk)
    anthropic = OrganizationExposure.objects.get(organization__name="Anthropic")
    assert not anthropic.stale and anthropic.inputs_hash
    assert {s["name"] for s in anthropic.suppliers} == {"xAI", "Amazon", "Google", "Microsoft"}
    assert OrganizationExposure.objects.get(organization__name="xAI").suppliers == []


# --- A full recompute: the exposures once, after the last batch ---------------------------------


def _exposure_messages(sent) -> list[list[int]]:
    return [args[0] for name, args in sent if name == "organization_exposures_recompute_task"]


def test_a_batch_of_a_full_recompute_queues_the_exposures_only_once_no_summary_is_stale(
    v1, sent, django_capture_on_commit_callbacks
):
    case_ids = sorted(Case.objects.values_list("pk", flat=True))
    first, last = case_ids[:8], case_ids[8:]
    RiskSummary.objects.update(inputs_hash="")  # every summary rewritten, every exposure touched
    recompute.risk_summaries_mark_stale(case_ids)
    OrganizationExposure.objects.update(stale=False, stale_since=None)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.risk_summaries_recompute_task.apply(args=[first]).get()
    assert _exposure_messages(sent) == []  # the other half is still stale: they would be redone
    touched = set(OrganizationExposure.objects.filter(stale=True).values_list("organization_id", flat=True))
    assert touched  # marked, the durable record that the work is owed

    with django_capture_on_commit_callbacks(execute=True):
        tasks.risk_summaries_recompute_task.apply(args=[last]).get()
    stale = sorted(OrganizationExposure.objects.filter(stale=True).values_list("organization_id", flat=True))
    queued = _exposure_messages(sent)
    assert sorted(i for ids in queued for i in ids) == stale  # each stale exposure once, the first half's too
    assert touched <= set(stale)
    assert all(len(ids) <= exposures.EXPOSURE_BATCH_SIZE for ids in queued)


def test_the_stale_exposures_go_in_messages_the_workers_share(v1, sent, monkeypatch):
    monkeypatch.setattr(exposures, "EXPOSURE_BATCH_SIZE", 3)
    OrganizationExposure.objects.update(stale=True, stale_since=timezone.now())
    stale = sorted(OrganizationExposure.objects.values_list("organization_id", flat=True))
    assert len(stale) > 3
    RiskSummary.objects.filter(pk=RiskSummary.objects.first().pk).update(stale=True)
    assert exposures.organization_exposures_request_stale() == 0  # a summary is still owed
    RiskSummary.objects.update(stale=False)
    assert exposures.organization_exposures_request_stale() == len(stale)
    queued = _exposure_messages(sent)
    assert [i for ids in queued for i in ids] == stale and max(map(len, queued)) == 3
    assert exposures.organization_exposures_request_stale() == 0  # already waiting: not queued twice


def test_a_single_case_still_queues_its_exposures_at_once(v1, sent, django_capture_on_commit_callbacks):
    case = Case.objects.get(slug=COLOSSUS)
    other = Case.objects.exclude(pk=case.pk).values_list("pk", flat=True)[0]
    RiskSummary.objects.filter(case=case).update(inputs_hash="")
    recompute.risk_summaries_mark_stale([case.pk, other])  # another summary owed: no full pass yet
    with django_capture_on_commit_callbacks(execute=True):
        tasks.risk_summaries_recompute_task.apply(args=[[case.pk]]).get()
    queued = {i for ids in _exposure_messages(sent) for i in ids}
    assert queued == set(case.parties.values_list("organization_id", flat=True))


def test_the_sweep_leaves_exposures_to_the_last_batch_while_summaries_are_stale(v1, sent, settings):
    settings.STALE_GRACE_SECONDS = 30
    settings.PENDING_MARKER_SECONDS = 300
    now = timezone.now()
    OrganizationExposure.objects.update(stale=True, stale_since=now - timedelta(minutes=2))
    RiskSummary.objects.filter(pk=RiskSummary.objects.first().pk).update(stale=True, stale_since=now)
    assert exposures.risk_summaries_sweep(now=now) == 0  # the summary is within its grace; exposures wait

    # Not forever: a summary that never gets current holds them PENDING_MARKER_SECONDS at most.
    assert exposures.risk_summaries_sweep(now=now + timedelta(minutes=4)) > 0
    assert _exposure_messages(sent)

    # Nothing stale among the summaries: the grace period alone, as before.
    sent.clear()
    RiskSummary.objects.update(stale=False, stale_since=None)
    queue.release_pending("exposure", OrganizationExposure.objects.values_list("organization_id", flat=True))
    assert exposures.risk_summaries_sweep(now=now) == OrganizationExposure.objects.count()
