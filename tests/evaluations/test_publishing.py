"""Publishing through the service, with the summary written by a real worker."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cases.models import Case
from core.errors import TransitionNotAllowed
from evaluations.models import EvaluationVersion, RiskSummary
from evaluations.services import publishing, recompute
from tests.support.content import version_in_review
from tests.support.workers import wait_for

COLOSSUS = "xai-anthropic-colossus-1"


def new_version_with(case: Case, author, changes: dict[tuple[str, str], int]) -> EvaluationVersion:
    """A version in review copied from the published one, with some scores changed."""
    return version_in_review(
        case.pk,
        author,
        lambda score: changes.get((score.party.organization.name, score.criterion.key), score.value),
    )


@pytest.mark.worker
def test_publishing_queues_a_recompute_that_a_real_worker_performs(start_worker, demo_committed, editor, reviewer):
    start_worker()
    case = Case.objects.get(slug=COLOSSUS)
    version = new_version_with(case, editor, {("xAI", "dependency"): 4})

    publishing.evaluation_version_publish(version=version, by=reviewer)
    # The test process never runs tasks here (not eager); only the worker can do this.
    wait_for(lambda: RiskSummary.objects.filter(case=case, evaluation_version=version, stale=False).exists())

    summary = RiskSummary.objects.get(case=case)
    assert summary.risk_index == Decimal("100.0")  # xAI dependency 100 + 7.5, capped
    xai = summary.party_figures.get(organization__name="xAI")
    assert xai.dependency == Decimal("100.0")
    assert xai.classification == "dependency_risk"


def test_publishing_in_process_supersedes_and_recomputes(demo, editor, reviewer, django_capture_on_commit_callbacks):
    case = Case.objects.get(slug=COLOSSUS)
    first = EvaluationVersion.objects.get(case=case, state=EvaluationVersion.State.PUBLISHED)
    version = new_version_with(case, editor, {("Anthropic", "dependency"): 1})

    with django_capture_on_commit_callbacks() as callbacks:
        publishing.evaluation_version_publish(
            version=version, by=reviewer, correction_note="Dependency was overstated."
        )
    # Owed in the database, and queued only once the transaction commits.
    summary = RiskSummary.objects.get(case=case)
    assert summary.stale and summary.evaluation_version_id == first.pk
    with django_capture_on_commit_callbacks(execute=True):  # the commit; the recompute then queues the exposures
        for callback in callbacks:
            callback()

    first.refresh_from_db()
    assert first.state == EvaluationVersion.State.SUPERSEDED
    summary = RiskSummary.objects.get(case=case)
    assert summary.evaluation_version_id == version.pk and not summary.stale
    assert summary.party_figures.get(organization__name="Anthropic").dependency == Decimal("25.0")
    assert list(version.audit_entries.values_list("action", "from_state", "to_state")) == [
        ("publish", "in_review", "published")
    ]
    assert first.audit_entries.filter(action="supersede").exists()


def test_publishing_twice_is_refused(demo, reviewer):
    version = EvaluationVersion.objects.get(case__slug=COLOSSUS)
    with pytest.raises(TransitionNotAllowed):
        publishing.evaluation_version_publish(version=version, by=reviewer)


def test_recompute_is_idempotent(demo):
    case = Case.objects.get(slug=COLOSSUS)
    before = RiskSummary.objects.values().get(case=case)
    assert recompute.risk_summary_recompute(case_id=case.pk) is False
    assert RiskSummary.objects.values().get(case=case) == before
