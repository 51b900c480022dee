"""Fixtures shared by several test folders: unpublished content on top of a published case.

A conftest that wants them imports them by name (pytest registers fixtures
found in a conftest's namespace). Everything is made through the services.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, Organization, Party
from cases.search import search_document_refresh
from evaluations.models import EvaluationVersion
from evaluations.services import annotations, workflow

COLOSSUS = "xai-anthropic-colossus-1"
SECRET = "zanzibarquokka"  # a word that appears only in unpublished content


def draft_version(case: Case, editor, *, narrative_extra: str, verdict: str | None, annotate: str | None):
    """Start a draft on ``case`` and save extra narrative, a verdict and (optionally) one annotation."""
    version = workflow.evaluation_version_start(case=case, by=editor)
    items = None
    if annotate:
        items = [annotations.AnnotationInput(quote=annotate, kind="dissent", body=f"A note about {annotate}")]
    return workflow.evaluation_version_save(
        version=version,
        by=editor,
        expected_lock=version.lock_version,
        narrative=version.narrative + narrative_extra,
        verdict=verdict if verdict is not None else version.verdict,
        annotations=items,
    )


def unpublished_version_make(state: str, editor, reviewer, slug: str = COLOSSUS) -> EvaluationVersion:
    """An open version of a published case, with ``SECRET`` in its text and on an annotation.

    ``state``: draft, in_review or scheduled.
    """
    case = Case.objects.get(slug=slug)
    version = draft_version(
        case,
        editor,
        narrative_extra=f"\n\nUnpublished passage about {SECRET} capacity.",
        verdict=f"Unpublished verdict {SECRET}",
        annotate=f"{SECRET} capacity",
    )
    if state in ("in_review", "scheduled"):
        version = workflow.evaluation_version_submit(version=version, by=editor)
    if state == "scheduled":
        version = workflow.evaluation_version_approve(
            version=version, by=reviewer, publish_at=timezone.now() + timedelta(days=3)
        )
    assert version.state == state
    return version


def draft_case_make() -> Case:
    """A case never published, naming ``SECRET`` and a new organization (SecretCo) that has no other case."""
    secret_org = Organization.objects.create(name="SecretCo", slug="secretco", kind="model_lab")
    case = Case.objects.create(
        title=f"The {SECRET} deal", slug="secret-deal", summary=f"{SECRET} summary", announced_on="2026-03-01"
    )
    Party.objects.create(case=case, organization=secret_org, role="customer")
    Party.objects.create(case=case, organization=Organization.objects.get(slug="anthropic"), role="provider")
    search_document_refresh(case.pk)  # a draft gets no document, even if asked
    return case


@pytest.fixture
def publish_second_version(editor, reviewer) -> Callable[..., EvaluationVersion]:
    """Publish a new version of a case through the desk's services (start, save, submit, approve)."""

    def publish(
        slug: str = COLOSSUS, *, extra: str = "\n\nA later paragraph added in review.", note: str = ""
    ) -> EvaluationVersion:
        case = Case.objects.get(slug=slug)
        version = draft_version(case, editor, narrative_extra=extra, verdict=None, annotate=None)
        version = workflow.evaluation_version_submit(version=version, by=editor)
        return workflow.evaluation_version_approve(version=version, by=reviewer, correction_note=note)

    return publish


@pytest.fixture
def unpublished_version(editor, reviewer) -> Callable[..., EvaluationVersion]:
    """``unpublished_version(state, slug=COLOSSUS)``: see ``unpublished_version_make``."""

    def make(state: str, slug: str = COLOSSUS) -> EvaluationVersion:
        return unpublished_version_make(state, editor, reviewer, slug)

    return make


@pytest.fixture
def draft_case(demo) -> Case:
    return draft_case_make()
