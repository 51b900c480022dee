"""evaluations.services.recompute on a tiny hand-built world (tests/support/tiny.py): what a summary
holds after a recompute, when there is work and when there is none, stale flags, the fan-out
(scripts/mutation). The figures themselves are the engine's (tests/evaluations/test_scoring*.py):
here, that the summary stores what the engine says for the published scores."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from cases.models import Case, Organization, Party
from evaluations import scoring, selectors
from evaluations.models import EvaluationVersion, OrganizationExposure, PartyFigure, RiskSummary, RubricVersion
from evaluations.services import recompute
from tests.support import tiny

pytestmark = pytest.mark.django_db

V = EvaluationVersion.State


@pytest.fixture
def world():
    rubric = tiny.rubric_version()
    editor = tiny.user("ed", "Editors")
    made = tiny.case("deal", published=True)
    version = tiny.version(made, editor, V.PUBLISHED, rubric=rubric, scores=dict(tiny.FULL_SCORES))
    return {"rubric": rubric, "editor": editor, "case": made, "version": version}


def _expected(world):
    inputs = selectors.summary_inputs([world["case"].pk])[world["case"].pk]
    return scoring.summarize(selectors.rubric_spec(inputs.rubric_version), inputs.party_scores, inputs.deal_scores)


def test_a_recompute_stores_the_engines_summary(world):
    made = world["case"]
    before = timezone.now()
    assert recompute.risk_summaries_recompute(case_ids=[made.pk, made.pk]) == [made.pk]
    summary = RiskSummary.objects.get(case=made)
    expected = _expected(world)
    assert (summary.risk_index, summary.risk_band, summary.classification) == (
        expected.risk_index,
        expected.risk_band,
        expected.classification,
    )
    assert summary.missing_criteria == list(expected.missing) == []
    assert summary.needs_reevaluation is False
    assert (summary.rubric_version, summary.evaluation_version_id) == (world["rubric"], world["version"].pk)
    assert (summary.stale, summary.stale_since) == (False, None)
    assert summary.computed_at >= before and len(summary.inputs_hash) == 64
    parties = {p.pk: p.organization_id for p in made.parties.all()}
    figures = {
        f.party_id: (f.organization_id, f.leverage, f.workaround, f.dependency, f.classification)
        for f in PartyFigure.objects.filter(summary=summary)
    }
    assert figures == {
        f.party: (parties[f.party], f.leverage, f.workaround, f.dependency, f.classification) for f in expected.parties
    }
    assert len(figures) == 2


def test_missing_criteria_flag_a_reevaluation(world):
    made = tiny.case("partial", orgs=("gamma", "delta"), published=True)
    tiny.version(made, world["editor"], V.PUBLISHED, rubric=world["rubric"], scores={("dep", 0): 4})
    recompute.risk_summary_recompute(case_id=made.pk)
    summary = RiskSummary.objects.get(case=made)
    assert summary.needs_reevaluation is True
    assert set(summary.missing_criteria) >= {"data"} and summary.missing_criteria
    assert summary.risk_index is not None


def test_nothing_to_do_the_second_time(world):
    made = world["case"]
    assert recompute.risk_summary_recompute(case_id=made.pk) is True
    first = RiskSummary.objects.get(case=made)
    figures = list(PartyFigure.objects.filter(summary=first).values_list("pk", flat=True))
    assert recompute.risk_summary_recompute(case_id=made.pk) is False
    assert recompute.risk_summaries_recompute(case_ids=[made.pk]) == []
    again = RiskSummary.objects.get(case=made)
    assert (again.computed_at, again.inputs_hash) == (first.computed_at, first.inputs_hash)
    assert list(PartyFigure.objects.filter(summary=again).values_list("pk", flat=True)) == figures


def test_a_stale_flag_with_unchanged_inputs_is_cleared_without_rewriting(world):
    made = world["case"]
    recompute.risk_summary_recompute(case_id=made.pk)
    first = RiskSummary.objects.get(case=made)
    recompute.risk_summaries_mark_stale([made.pk])
    assert RiskSummary.objects.get(case=made).stale is True
    assert recompute.risk_summaries_recompute(case_ids=[made.pk]) == []
    again = RiskSummary.objects.get(case=made)
    assert (again.stale, again.stale_since, again.computed_at) == (False, None, first.computed_at)


@pytest.mark.parametrize("change", ["new version", "new rubric version", "party organization"])
def test_a_change_of_inputs_rewrites_the_summary(world, change):
    made = world["case"]
    recompute.risk_summary_recompute(case_id=made.pk)
    first = RiskSummary.objects.get(case=made)
    if change == "new version":
        EvaluationVersion.objects.filter(pk=world["version"].pk).update(state=V.SUPERSEDED)
        tiny.version(made, world["editor"], V.PUBLISHED, rubric=world["rubric"], number=2, scores={("dep", 0): 4})
    elif change == "new rubric version":
        RubricVersion.objects.filter(pk=world["rubric"].pk).update(status=RubricVersion.Status.RETIRED)
        tiny.rubric_version(number=2)
    else:
        party = made.parties.get(position=0)
        Party.objects.filter(pk=party.pk).update(
            organization=Organization.objects.create(name="Other", slug="other", kind=Organization.Kind.values[0])
        )
    assert recompute.risk_summaries_recompute(case_ids=[made.pk]) == [made.pk]
    again = RiskSummary.objects.get(case=made)
    assert again.inputs_hash != first.inputs_hash and again.computed_at > first.computed_at
    inputs = selectors.summary_inputs([made.pk])[made.pk]
    figures = set(PartyFigure.objects.filter(summary=again).values_list("party_id", "organization_id"))
    assert figures == {(f.party, inputs.party_orgs[f.party]) for f in _expected(world).parties}


def test_a_case_without_a_published_version_or_active_rubric(world):
    draft = tiny.case("draft", orgs=("gamma", "delta"))
    assert recompute.risk_summaries_recompute(case_ids=[draft.pk]) == [draft.pk]
    summary = RiskSummary.objects.get(case=draft)
    assert (summary.risk_index, summary.risk_band, summary.classification) == (None, "", "")
    assert (summary.missing_criteria, summary.needs_reevaluation, summary.rubric_version) == ([], False, None)
    assert (summary.evaluation_version_id, summary.stale) == (None, False)
    assert summary.computed_at is not None and not PartyFigure.objects.filter(summary=summary).exists()
    # A published version whose rubric has no active version: figures go, the version is named.
    recompute.risk_summary_recompute(case_id=world["case"].pk)
    RubricVersion.objects.filter(pk=world["rubric"].pk).update(status=RubricVersion.Status.RETIRED)
    assert recompute.risk_summary_recompute(case_id=world["case"].pk) is True
    summary = RiskSummary.objects.get(case=world["case"])
    assert (summary.risk_index, summary.rubric_version, summary.evaluation_version_id) == (
        None,
        None,
        world["version"].pk,
    )
    assert not PartyFigure.objects.filter(summary=summary).exists()


def test_gone_cases_and_no_cases(world):
    assert recompute.risk_summaries_recompute(case_ids=[]) == []
    assert recompute.risk_summaries_recompute(case_ids=[world["case"].pk + 999]) == []
    assert not RiskSummary.objects.exists()


def test_exposures_of_the_organizations_touched_go_stale_and_are_queued(world, django_capture_on_commit_callbacks):
    made = world["case"]
    orgs = set(made.parties.values_list("organization_id", flat=True))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        recompute.risk_summaries_recompute(case_ids=[made.pk], queue_exposures=False)
    assert callbacks == []
    assert set(OrganizationExposure.objects.filter(stale=True).values_list("organization_id", flat=True)) == orgs
    # Removed from the case: its organization's exposure changes too.
    EvaluationVersion.objects.filter(pk=world["version"].pk).update(state=V.SUPERSEDED)
    tiny.version(made, world["editor"], V.PUBLISHED, rubric=world["rubric"], number=2, scores={("data", None): 1})
    OrganizationExposure.objects.update(stale=False, stale_since=None)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        recompute.risk_summaries_recompute(case_ids=[made.pk])
    assert len(callbacks) == 1
    assert set(OrganizationExposure.objects.values_list("organization_id", flat=True)) == orgs
    assert not OrganizationExposure.objects.filter(stale=True).exists()  # recomputed by the task, in process
    assert OrganizationExposure.objects.filter(computed_at__isnull=False).count() == 2


# --- Stale flags, requests, the fan-out ---------------------------------------------------------------------


def test_mark_stale_creates_missing_rows_and_keeps_the_oldest_date(world):
    made = world["case"]
    other = tiny.case("other", orgs=("gamma", "delta"))
    fresh = tiny.case("fresh", orgs=("eps", "zeta"))
    long_ago = timezone.now() - timedelta(days=3)
    RiskSummary.objects.create(case=made, stale=True, stale_since=long_ago)
    RiskSummary.objects.create(case=fresh, stale=False, stale_since=None)
    before = timezone.now()
    recompute.risk_summaries_mark_stale([made.pk, other.pk, fresh.pk, made.pk + 999])
    rows = {s.case_id: s for s in RiskSummary.objects.all()}
    assert set(rows) == {made.pk, other.pk, fresh.pk}
    assert rows[made.pk].stale_since == long_ago
    assert rows[other.pk].stale and rows[other.pk].stale_since >= before
    assert rows[fresh.pk].stale and rows[fresh.pk].stale_since >= before


def test_mark_stale_takes_a_queryset(world):
    recompute.risk_summaries_mark_stale(Case.objects.filter(pk=world["case"].pk).values("pk"))
    assert RiskSummary.objects.get(case=world["case"]).stale is True


def test_a_request_marks_stale_and_recomputes_after_commit(world, django_capture_on_commit_callbacks):
    made = world["case"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        recompute.risk_summary_request(made.pk)
    assert RiskSummary.objects.get(case=made).stale is True and len(callbacks) == 1
    callbacks[0]()
    summary = RiskSummary.objects.get(case=made)
    assert summary.stale is False and summary.computed_at is not None


def test_the_fanout_recomputes_the_rubrics_stale_cases_in_steps(world, settings):
    settings.RECOMPUTE_BATCH_SIZE = 1
    settings.FANOUT_BATCHES_PER_STEP = 2
    cases = [world["case"]]
    for n in range(4):
        made = tiny.case(f"c{n}", orgs=(f"c{n}a", f"c{n}b"), published=True)
        tiny.version(made, world["editor"], V.PUBLISHED, rubric=world["rubric"], scores={("dep", 0): n})
        cases.append(made)
    other_rubric = tiny.rubric_version(slug="other")
    elsewhere = tiny.case("elsewhere", orgs=("x1", "x2"), published=True)
    tiny.version(elsewhere, world["editor"], V.PUBLISHED, rubric=other_rubric, scores={("dep", 0): 1})
    ids = [c.pk for c in cases]
    recompute.risk_summaries_mark_stale([*ids, elsewhere.pk])
    RiskSummary.objects.filter(case_id=ids[1]).update(stale=False)  # already fresh: not queued
    # After the first case only; two per step, the next steps by the chained task (in process here).
    assert recompute.risk_summaries_fanout(rubric_id=world["rubric"].rubric_id, after_case_id=ids[0]) == 2
    stale = set(RiskSummary.objects.filter(stale=True).values_list("case_id", flat=True))
    assert stale == {ids[0], elsewhere.pk}
    computed = set(RiskSummary.objects.filter(computed_at__isnull=False).values_list("case_id", flat=True))
    assert computed == set(ids[2:])


def test_the_fanout_skips_what_is_already_queued(world, settings):
    settings.RECOMPUTE_BATCH_SIZE = 5
    settings.FANOUT_BATCHES_PER_STEP = 5
    second = tiny.case("second", orgs=("gamma", "delta"), published=True)
    tiny.version(second, world["editor"], V.PUBLISHED, rubric=world["rubric"], scores={("dep", 0): 1})
    recompute.risk_summaries_mark_stale([world["case"].pk, second.pk])
    from evaluations import queue

    queue.claim_pending("summary", [second.pk])
    assert recompute.risk_summaries_fanout(rubric_id=world["rubric"].rubric_id) == 2
    assert set(RiskSummary.objects.filter(stale=True).values_list("case_id", flat=True)) == {second.pk}
    assert recompute.risk_summaries_fanout(rubric_id=world["rubric"].rubric_id + 999) == 0


# --- What the first run left alive (tests/MUTATION.md) ----------------------------------------------------------


def test_mark_stale_touches_only_the_cases_named(world):
    made = world["case"]
    other = tiny.case("other", orgs=("gamma", "delta"))
    fresh = tiny.case("fresh", orgs=("eps", "zeta"))
    RiskSummary.objects.create(case=fresh, stale=False, stale_since=None)
    recompute.risk_summaries_mark_stale([made.pk])
    assert set(RiskSummary.objects.values_list("case_id", "stale")) == {(made.pk, True), (fresh.pk, False)}
    assert not RiskSummary.objects.filter(case=other).exists()


def test_a_new_version_with_the_same_scores_is_named_on_the_summary(world):
    made = world["case"]
    recompute.risk_summary_recompute(case_id=made.pk)
    EvaluationVersion.objects.filter(pk=world["version"].pk).update(state=V.SUPERSEDED)
    again = tiny.version(
        made, world["editor"], V.PUBLISHED, rubric=world["rubric"], number=2, scores=dict(tiny.FULL_SCORES)
    )
    assert recompute.risk_summary_recompute(case_id=made.pk) is True
    assert RiskSummary.objects.get(case=made).evaluation_version_id == again.pk


def test_a_batch_goes_on_past_a_summary_with_nothing_to_do(world):
    made = world["case"]
    later = tiny.case("later", orgs=("gamma", "delta"), published=True)
    tiny.version(later, world["editor"], V.PUBLISHED, rubric=world["rubric"], scores={("dep", 0): 4})
    recompute.risk_summary_recompute(case_id=made.pk)  # up to date; the later case comes after it
    assert recompute.risk_summaries_recompute(case_ids=[made.pk, later.pk]) == [later.pk]
    assert RiskSummary.objects.get(case=later).computed_at is not None


def test_a_summary_without_a_classification_stores_none(world):
    made = tiny.case("deal-only", orgs=("gamma", "delta"), published=True)
    tiny.version(made, world["editor"], V.PUBLISHED, rubric=world["rubric"], scores={("data", None): 1})
    recompute.risk_summary_recompute(case_id=made.pk)
    inputs = selectors.summary_inputs([made.pk])[made.pk]
    expected = scoring.summarize(selectors.rubric_spec(inputs.rubric_version), inputs.party_scores, inputs.deal_scores)
    assert expected.classification is None
    assert RiskSummary.objects.get(case=made).classification == ""


def test_exposures_of_a_partys_old_and_new_organization_go_stale(world, django_capture_on_commit_callbacks):
    # Organizations made first, so that their ids are not the parties' or the figures'.
    for n in range(6):
        Organization.objects.create(name=f"Spare {n}", slug=f"spare{n}", kind=Organization.Kind.values[0])
    made = tiny.case("moved", orgs=("old", "stays"), published=True)
    tiny.version(made, world["editor"], V.PUBLISHED, rubric=world["rubric"], scores=dict(tiny.FULL_SCORES))
    recompute.risk_summaries_recompute(case_ids=[made.pk], queue_exposures=False)
    old, stays = (_org_of(made, position) for position in (0, 1))
    new = Organization.objects.create(name="New", slug="new", kind=Organization.Kind.values[0])
    Party.objects.filter(case=made, position=0).update(organization=new)
    OrganizationExposure.objects.update(stale=False, stale_since=None)
    recompute.risk_summaries_recompute(case_ids=[made.pk], queue_exposures=False)
    stale = set(OrganizationExposure.objects.filter(stale=True).values_list("organization_id", flat=True))
    assert stale == {old.pk, stays.pk, new.pk}


def _org_of(made, position):
    return Organization.objects.get(parties__case=made, parties__position=position)


def test_exposures_already_waiting_are_not_queued_again(world, django_capture_on_commit_callbacks):
    from evaluations import queue

    made = world["case"]
    orgs = sorted(made.parties.values_list("organization_id", flat=True))
    queue.claim_pending("exposure", orgs[:1])  # one is already waiting in the queue
    with django_capture_on_commit_callbacks(execute=True):
        recompute.risk_summaries_recompute(case_ids=[made.pk])
    stale = set(OrganizationExposure.objects.filter(stale=True).values_list("organization_id", flat=True))
    assert stale == {orgs[0]}  # the other was recomputed by its task (in process here)


def test_everything_a_recompute_marks_carries_its_one_moment(world):
    made = world["case"]
    recompute.risk_summaries_recompute(case_ids=[made.pk], queue_exposures=False)
    summary = RiskSummary.objects.get(case=made)
    moments = set(OrganizationExposure.objects.values_list("stale_since", flat=True))
    assert moments == {summary.computed_at}


def test_the_exposures_message_waits_for_the_debounce(world, settings, monkeypatch, django_capture_on_commit_callbacks):
    from evaluations import queue

    settings.EXPOSURE_DEBOUNCE_SECONDS = 7
    sent = []
    monkeypatch.setattr(queue, "send", lambda task, *args, countdown=None: sent.append((task, countdown)) or True)
    with django_capture_on_commit_callbacks(execute=True):
        recompute.risk_summaries_recompute(case_ids=[world["case"].pk])
    assert sent == [(queue.ORGANIZATION_EXPOSURES_RECOMPUTE, 7)]


def test_a_request_already_waiting_is_not_queued_again(world, django_capture_on_commit_callbacks):
    from evaluations import queue

    made = world["case"]
    queue.claim_pending("summary", [made.pk])
    with django_capture_on_commit_callbacks(execute=True):
        recompute.risk_summary_request(made.pk)
    assert RiskSummary.objects.get(case=made).stale is True  # the message already waiting will do it


def test_the_fanout_stops_when_the_broker_refuses(world, monkeypatch):
    from evaluations import queue

    recompute.risk_summaries_mark_stale([world["case"].pk])
    monkeypatch.setattr(queue, "send", lambda *args, **kwargs: False)
    assert recompute.risk_summaries_fanout(rubric_id=world["rubric"].rubric_id) == 0
    assert RiskSummary.objects.get(case=world["case"]).stale is True  # left for the sweep


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-based recompute is PostgreSQL's")
def test_the_set_based_recompute_writes_the_same_inputs_hash(world):
    """Both paths hash the same inputs to the same text (recompute_set spells _summary_hash's JSON in
    SQL), so each sees the other's summaries as current: nothing left to do for the Python path."""
    from evaluations.services import recompute_set

    partial = tiny.case("partial", orgs=("gamma", "delta"), published=True)
    tiny.version(partial, world["editor"], V.PUBLISHED, rubric=world["rubric"], scores={("dep", 0): 4})
    ids = sorted([world["case"].pk, partial.pk])
    assert recompute_set.risk_summaries_recompute_set(case_ids=ids, queue_exposures=False) == ids
    inputs = selectors.summary_inputs(ids)
    written = dict(RiskSummary.objects.values_list("case_id", "inputs_hash"))
    assert written == {case_id: recompute._summary_hash(inputs[case_id]) for case_id in ids}
    assert recompute.risk_summaries_recompute(case_ids=ids, queue_exposures=False) == []
