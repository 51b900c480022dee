"""Fixtures for the reader's pages: versions made through the services."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cases.models import Case
from evaluations import services
from evaluations.models import EvaluationVersion

COLOSSUS = "xai-anthropic-colossus-1"
SECRET = "zanzibarquokka"  # a word that appears only in unpublished content


def _draft(case: Case, editor, *, narrative_extra: str, verdict: str | None, annotate: str | None):
    version = services.evaluation_version_start(case=case, by=editor)
    items = None
    if annotate:
        items = [services.AnnotationInput(quote=annotate, kind="dissent", body=f"A note about {annotate}")]
    return services.evaluation_version_save(
        version=version,
        by=editor,
        expected_lock=version.lock_version,
        narrative=version.narrative + narrative_extra,
        verdict=verdict if verdict is not None else version.verdict,
        annotations=items,
    )


@pytest.fixture
def publish_second_version(editor, reviewer) -> Callable[..., EvaluationVersion]:
    """Publish a new version of a case through the desk's services (start, save, submit, approve)."""

    def publish(
        slug: str = COLOSSUS, *, extra: str = "\n\nA later paragraph added in review.", note: str = ""
    ) -> EvaluationVersion:
        case = Case.objects.get(slug=slug)
        version = _draft(case, editor, narrative_extra=extra, verdict=None, annotate=None)
        version = services.evaluation_version_submit(version=version, by=editor)
        return services.evaluation_version_approve(version=version, by=reviewer, correction_note=note)

    return publish


@pytest.fixture
def unpublished_version(editor, reviewer) -> Callable[..., EvaluationVersion]:
    """An open version of a published case, with a secret word and an annotation on it.

    ``state``: draft, in_review or scheduled.
    """

    def make(state: str, slug: str = COLOSSUS) -> EvaluationVersion:
        from datetime import timedelta

        from django.utils import timezone

        case = Case.objects.get(slug=slug)
        version = _draft(
            case,
            editor,
            narrative_extra=f"\n\nUnpublished passage about {SECRET} capacity.",
            verdict=f"Unpublished verdict {SECRET}",
            annotate=f"{SECRET} capacity",
        )
        if state in ("in_review", "scheduled"):
            version = services.evaluation_version_submit(version=version, by=editor)
        if state == "scheduled":
            version = services.evaluation_version_approve(
                version=version, by=reviewer, publish_at=timezone.now() + timedelta(days=3)
            )
        assert version.state == state
        return version

    return make
