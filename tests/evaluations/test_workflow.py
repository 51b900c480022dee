"""The editorial workflow at the service layer: start, save, submit, review, publish."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases.models import Case
from core.errors import EditConflict, TransitionNotAllowed
from evaluations.models import EvaluationVersion, RiskSummary
from evaluations.services import annotations, publishing, workflow
from evaluations.services.annotations import AnnotationInput
from evaluations.services.workflow import ScoreInput

COLOSSUS = "xai-anthropic-colossus-1"


@pytest.fixture
def colossus(demo):
    return Case.objects.get(slug=COLOSSUS)


def test_new_version_is_prefilled_from_the_published_one(colossus, editor):
    published = EvaluationVersion.objects.get(case=colossus)
    draft = workflow.evaluation_version_start(case=colossus, by=editor)
    assert draft.number == 2 and draft.state == "draft" and draft.based_on == published
    assert draft.narrative == published.narrative
    assert draft.scores.count() == published.scores.count() == 12
    assert draft.annotations.count() == 4 and not draft.annotations.filter(orphaned=True).exists()
    with pytest.raises(TransitionNotAllowed, match="already draft"):
        workflow.evaluation_version_start(case=colossus, by=editor)


def test_save_validates_and_writes_nothing_on_bad_input(colossus, editor):
    draft = workflow.evaluation_version_start(case=colossus, by=editor)
    party = colossus.parties.first()
    with pytest.raises(ValidationError) as error:
        workflow.evaluation_version_save(
            version=draft,
            by=editor,
            expected_lock=draft.lock_version,
            narrative="changed",
            scores=[ScoreInput("dependency", party.pk, 9), ScoreInput("nonsense", party.pk, 1)],
        )
    assert set(error.value.message_dict) == {"scores[0]", "scores[1]"}
    draft.refresh_from_db()
    assert draft.narrative != "changed" and draft.scores.count() == 12


def test_optimistic_lock_refuses_the_second_save(colossus, editor, editor2):
    draft = workflow.evaluation_version_start(case=colossus, by=editor)
    loaded = draft.lock_version
    workflow.evaluation_version_save(version=draft, by=editor, expected_lock=loaded, narrative="first")
    with pytest.raises(EditConflict):
        workflow.evaluation_version_save(version=draft, by=editor2, expected_lock=loaded, narrative="second")
    draft.refresh_from_db()
    assert draft.narrative == "first"


def test_annotations_orphan_when_their_quote_goes(colossus, editor):
    draft = workflow.evaluation_version_start(case=colossus, by=editor)
    narrative = draft.narrative.replace("either side can walk away on 90 days' notice", "the terms are unclear")
    workflow.evaluation_version_save(version=draft, by=editor, expected_lock=draft.lock_version, narrative=narrative)
    assert list(draft.annotations.filter(orphaned=True).values_list("kind", flat=True)) == ["source"]
    with pytest.raises(ValidationError):
        annotations.annotation_add(version=draft, by=editor, item=AnnotationInput("not in the text", "context", "x"))


def test_review_rules(colossus, editor, reviewer, django_capture_on_commit_callbacks):
    draft = workflow.evaluation_version_start(case=colossus, by=reviewer)
    workflow.evaluation_version_submit(version=draft, by=reviewer)
    with pytest.raises(PermissionDenied, match="you wrote"):
        workflow.evaluation_version_approve(version=draft, by=reviewer)
    with pytest.raises(PermissionDenied):
        workflow.evaluation_version_approve(version=draft, by=editor)
    with pytest.raises(ValidationError):
        workflow.evaluation_version_send_back(version=draft, by=reviewer, comment="  ")


def test_scheduled_publishing(colossus, editor, reviewer, django_capture_on_commit_callbacks):
    draft = workflow.evaluation_version_start(case=colossus, by=editor)
    workflow.evaluation_version_submit(version=draft, by=editor)
    when = timezone.now() + timedelta(hours=1)
    workflow.evaluation_version_approve(version=draft, by=reviewer, publish_at=when, correction_note="Fixed a date.")
    draft.refresh_from_db()
    assert draft.state == "scheduled"
    assert publishing.evaluation_versions_publish_due() == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert publishing.evaluation_versions_publish_due(now=when + timedelta(seconds=1)) == 1
    draft.refresh_from_db()
    assert draft.state == "published" and draft.correction_note == "Fixed a date." and draft.published_by == reviewer
    assert RiskSummary.objects.get(case=colossus).evaluation_version_id == draft.pk
