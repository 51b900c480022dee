"""Fixtures for the trust tests: a published analysis with everything a version can hold."""

from __future__ import annotations

import pytest

from evaluations.models import EvaluationVersion
from evaluations.services import workflow
from tests.evaluations.test_workers import own_redis, small_batches, v1  # noqa: F401  (the fault tests' fixtures)
from tests.shared_fixtures import (  # noqa: F401 - fixtures registered by name
    draft_case,
    publish_second_version,
    unpublished_version,
)


def publish_full_version(editor, reviewer) -> EvaluationVersion:
    """Re-publish a demo analysis with annotations and scores that cite sources, through the services."""
    base = EvaluationVersion.objects.filter(state="published", annotations__isnull=False).first()
    draft = workflow.evaluation_version_start(case=base.case, by=editor)
    source_ids = tuple(base.case.sources.values_list("pk", flat=True)[:2])
    scores = [
        workflow.ScoreInput(
            criterion=score.criterion.key,
            party_id=score.party_id,
            value=score.value,
            rationale=score.rationale,
            source_ids=source_ids,
        )
        for score in draft.scores.select_related("criterion")
    ]
    workflow.evaluation_version_save(
        version=draft, by=editor, expected_lock=draft.lock_version, scores=scores, change_note="sources cited"
    )
    workflow.evaluation_version_submit(version=draft, by=editor)
    return workflow.evaluation_version_approve(version=draft, by=reviewer)


@pytest.fixture
def published(demo, editor, reviewer) -> EvaluationVersion:
    return publish_full_version(editor, reviewer)
