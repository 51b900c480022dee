"""Independent double scoring at the service layer: marking, blind sheets, reconciliation, settlement,
the record it leaves (raw and settled scores frozen with the published version), and the policy table."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from cases.models import Case
from core.errors import TransitionNotAllowed
from evaluations import double_reads, policy
from evaluations.models import AuditEntry, DoubleScoring, EvaluationVersion, RawScore, Reconciliation, Score
from evaluations.services import double_scoring as ds
from evaluations.services import workflow
from evaluations.services.workflow import ScoreInput

COLOSSUS = "xai-anthropic-colossus-1"


def sheet(version: EvaluationVersion, base: int = 2, **changes: int) -> list[ds.RawScoreInput]:
    """A complete sheet: every criterion for every party at ``base``; ``changes``: key__party-position -> value."""
    items = []
    parties = list(version.case.parties.order_by("position"))
    for criterion in version.evaluation.rubric_version.criteria.all():
        for position, party in enumerate(parties if criterion.per_party else [None]):
            value = changes.get(f"{criterion.key}__{position}", base)
            items.append(ds.RawScoreInput(criterion.key, party.pk if party else None, value))
    return items


@pytest.fixture
def colossus_draft(demo, editor):
    return workflow.evaluation_version_start(case=Case.objects.get(slug=COLOSSUS), by=editor)


@pytest.fixture
def marked(colossus_draft, reviewer, editor, editor2):
    ds.double_scoring_request(version=colossus_draft, by=reviewer, first_scorer=editor, second_scorer=editor2)
    return colossus_draft


def both_submit(version, editor, editor2, **second_changes):
    ds.double_scoring_submit(version=version, by=editor, scores=sheet(version))
    ds.double_scoring_submit(version=version, by=editor2, scores=sheet(version, **second_changes))


def test_marking_needs_a_reviewer_two_editors_and_a_draft(colossus_draft, reviewer, editor, editor2, reader):
    with pytest.raises(PermissionDenied):
        ds.double_scoring_request(version=colossus_draft, by=editor, first_scorer=editor, second_scorer=editor2)
    with pytest.raises(ValidationError) as error:
        ds.double_scoring_request(version=colossus_draft, by=reviewer, first_scorer=editor, second_scorer=editor)
    assert "second_scorer" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        ds.double_scoring_request(version=colossus_draft, by=reviewer, first_scorer=editor, second_scorer=reader)
    assert "second_scorer" in error.value.message_dict
    ds.double_scoring_request(version=colossus_draft, by=reviewer, first_scorer=editor, second_scorer=editor2)
    with pytest.raises(TransitionNotAllowed, match="already marked"):
        ds.double_scoring_request(version=colossus_draft, by=reviewer, first_scorer=editor, second_scorer=editor2)
    entry = AuditEntry.objects.filter(evaluation_version=colossus_draft).last()
    assert entry.action == "double_request" and "editor2" in entry.comment


def test_only_the_two_scorers_submit_once_a_complete_sheet(marked, editor, editor2, reviewer, admin_user):
    for outsider in (reviewer, admin_user):
        with pytest.raises(PermissionDenied):
            ds.double_scoring_submit(version=marked, by=outsider, scores=sheet(marked))
    with pytest.raises(ValidationError, match="missing"):
        ds.double_scoring_submit(version=marked, by=editor, scores=sheet(marked)[1:])
    with pytest.raises(ValidationError):
        ds.double_scoring_submit(version=marked, by=editor, scores=sheet(marked, base=9))
    assert not RawScore.objects.filter(version=marked).exists()
    ds.double_scoring_submit(version=marked, by=editor, scores=sheet(marked))
    with pytest.raises(TransitionNotAllowed, match="already submitted"):
        ds.double_scoring_submit(version=marked, by=editor, scores=sheet(marked))
    entry = AuditEntry.objects.filter(evaluation_version=marked).last()
    assert entry.action == "double_submit" and not any(ch.isdigit() for ch in entry.comment)


def test_blind_until_both_submitted(marked, editor, editor2, reviewer):
    ds.double_scoring_submit(version=marked, by=editor, scores=sheet(marked, base=3))
    double = DoubleScoring.objects.get(version=marked)
    assert policy.double_scores_visible(editor, double, editor.pk)
    for other in (editor2, reviewer):
        assert not policy.double_scores_visible(other, double, editor.pk)
    mine = double_reads.double_view(marked, editor)
    assert mine.rows and all(r.first == 3 and r.second is None for r in mine.rows)
    theirs = double_reads.double_view(marked, editor2)
    assert theirs.rows == [] and theirs.first_submitted and not theirs.shows_first
    assert double_reads.double_view(marked, reviewer).rows == []
    assert double_reads.reconciliation_queue() == []
    ds.double_scoring_submit(version=marked, by=editor2, scores=sheet(marked, base=3))
    both = double_reads.double_view(marked, reviewer)
    assert both.shows_first and both.shows_second and all(r.first == r.second == 3 for r in both.rows)


def test_scores_do_not_change_outside_the_double_scoring(marked, editor, editor2):
    score = marked.scores.select_related("criterion").first()
    changed = [
        ScoreInput(s.criterion.key, s.party_id, s.value if s.pk != score.pk else (s.value + 1) % 5)
        for s in marked.scores.select_related("criterion")
    ]
    with pytest.raises(TransitionNotAllowed, match="independently"):
        workflow.evaluation_version_save(version=marked, by=editor, expected_lock=marked.lock_version, scores=changed)
    # The narrative may change meanwhile.
    workflow.evaluation_version_save(version=marked, by=editor, expected_lock=marked.lock_version, narrative="New.")
    with pytest.raises(TransitionNotAllowed, match="independently"):
        workflow.evaluation_version_submit(version=marked, by=editor)


def test_differences_of_more_than_a_point_are_settled_with_a_note(marked, editor, editor2, reviewer, reader):
    # dependency for the first party: 2 against 4 (to settle); distribution: 2 against 3 (within a point).
    both_submit(marked, editor, editor2, dependency__0=4, distribution__0=3)
    queue = double_reads.reconciliation_queue()
    assert [(r.criterion.key, r.first_value, r.second_value) for r in queue] == [("dependency", 2, 4)]
    reconciliation = queue[0]
    with pytest.raises(PermissionDenied):
        ds.double_scoring_settle(reconciliation=reconciliation, by=reader, value=3, note="x")
    with pytest.raises(ValidationError) as error:
        ds.double_scoring_settle(reconciliation=reconciliation, by=reviewer, value=3, note="  ")
    assert "note" in error.value.message_dict
    with pytest.raises(ValidationError):
        ds.double_scoring_settle(reconciliation=reconciliation, by=reviewer, value=7, note="why")
    ds.double_scoring_settle(reconciliation=reconciliation, by=reviewer, value=3, note="The lease runs 90 days.")
    with pytest.raises(TransitionNotAllowed, match="already settled"):
        ds.double_scoring_settle(reconciliation=reconciliation, by=editor, value=2, note="again")
    double = DoubleScoring.objects.get(version=marked)
    assert double.settled_at is not None
    first_party = marked.case.parties.order_by("position").first()
    values = {
        (s.criterion.key, s.party_id): s.value for s in Score.objects.filter(version=marked).select_related("criterion")
    }
    assert values[("dependency", first_party.pk)] == 3
    assert values[("distribution", first_party.pk)] == 3  # within a point: the higher
    assert values[("margin", first_party.pk)] == 2
    # The scorers and the settler are contributors: none of them may approve it.
    assert {editor.pk, editor2.pk, reviewer.pk} <= policy.contributor_ids(marked)
    # Settled values stay; the version may now go to review.
    keep = [
        ScoreInput(s.criterion.key, s.party_id, s.value, rationale="why")
        for s in marked.scores.select_related("criterion")
    ]
    marked.refresh_from_db()
    workflow.evaluation_version_save(version=marked, by=editor, expected_lock=marked.lock_version, scores=keep)
    bump = [ScoreInput(k.criterion, k.party_id, (k.value + 1) % 5) if i == 0 else k for i, k in enumerate(keep)]
    marked.refresh_from_db()
    with pytest.raises(TransitionNotAllowed, match="as settled"):
        workflow.evaluation_version_save(version=marked, by=editor, expected_lock=marked.lock_version, scores=bump)
    workflow.evaluation_version_submit(version=marked, by=editor)
    entries = list(AuditEntry.objects.filter(evaluation_version=marked).values_list("action", flat=True))
    assert entries.count("double_submit") == 2 and "settle" in entries


def test_scorer_may_settle_and_agreement_settles_at_once(marked, editor, editor2):
    both_submit(marked, editor, editor2)
    assert DoubleScoring.objects.get(version=marked).settled_at is not None
    assert not Reconciliation.objects.filter(version=marked).exists()
    assert set(Score.objects.filter(version=marked).values_list("value", flat=True)) == {2}


def test_the_published_record_keeps_raw_and_settled_scores_frozen(marked, editor, editor2, reviewer, admin_user):
    both_submit(marked, editor, editor2, dependency__0=4)
    reconciliation = Reconciliation.objects.get(version=marked)
    ds.double_scoring_settle(reconciliation=reconciliation, by=editor2, value=4, note="Notice period is short.")
    version = workflow.evaluation_version_submit(version=marked, by=editor)
    other = type(reviewer).objects.create_user("reviewer2")
    other.groups.add(*reviewer.groups.all())
    with pytest.raises(PermissionDenied):  # the scorers wrote the scores: they may not approve
        workflow.evaluation_version_approve(version=version, by=editor2)
    version = workflow.evaluation_version_approve(version=version, by=other)
    assert version.state == "published"
    for write in (
        lambda: RawScore.objects.filter(version=version).update(value=0),
        lambda: Reconciliation.objects.filter(version=version).update(note="rewritten"),
        lambda: DoubleScoring.objects.filter(version=version).update(settled_at=None),
        lambda: RawScore.objects.filter(version=version).delete(),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            write()
    view = double_reads.double_view(version, None)
    assert view.settled and any(r.reconciliation and r.reconciliation.note for r in view.rows)


def test_policy_rules_for_double_scoring(marked, editor, editor2, reviewer, reader):
    assert policy.allowed(reviewer, "double_scoring.settle", marked)
    assert policy.allowed(editor, "double_scoring.submit", marked)
    assert not policy.allowed(reviewer, "double_scoring.submit", marked)
    assert not policy.allowed(reader, "double_scoring.settle", marked)
    assert not policy.allowed(editor, "double_scoring.request", marked)
