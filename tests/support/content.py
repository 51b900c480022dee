"""Content made for a test: unpublished versions and cases on top of the demo corpus, a version in review.

The fixtures that hand these out are in tests/conftest.py. Everything but
``version_in_review`` is made through the services.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from cases.models import Case, Organization, Party
from cases.search import search_document_refresh
from evaluations import anchoring
from evaluations.checklist import version_checklist
from evaluations.models import Criterion, EvaluationVersion, Score
from evaluations.selectors import versions_with_content
from evaluations.services import annotations, workflow
from evaluations.services.evidence import CitationInput
from evaluations.services.facts import version_party_ids

COLOSSUS = "xai-anthropic-colossus-1"
SECRET = "zanzibarquokka"  # a word that appears only in unpublished content


def draft_version_make(case: Case, editor, *, narrative_extra: str, verdict: str | None, annotate: str | None):
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


def publish_facts(case: Case, editor, reviewer, **facts) -> EvaluationVersion:
    """A published case's facts changed the one way they change: a version carrying them, reviewed and published."""
    draft = workflow.evaluation_version_start(case=case, by=editor)
    draft = workflow.evaluation_version_save(version=draft, by=editor, expected_lock=draft.lock_version, facts=facts)
    workflow.evaluation_version_submit(version=draft, by=editor)
    return workflow.evaluation_version_approve(version=draft, by=reviewer)


def secret_facts(version: EvaluationVersion) -> dict:
    """Facts naming ``SECRET`` everywhere a fact can (title, summary, notes, tag, a party, a source, the
    timeline), the party an organization no published case names (``secretco-facts``)."""
    organization, _ = Organization.objects.get_or_create(
        slug="secretco-facts", defaults={"name": "SecretCo Facts", "kind": "investor"}
    )
    facts = version.facts
    return {
        "title": f"{SECRET} retitled",
        "summary": f"{SECRET} summary",
        "value_note": f"{SECRET} value",
        "capacity_note": f"{SECRET} capacity note",
        "tags": [*facts["tags"], f"{SECRET}tag"],
        "parties": [*facts["parties"], {"organization": organization.slug, "role": "investor", "note": SECRET}],
        "sources": [
            *facts["sources"],
            {"publisher": f"{SECRET} Times", "title": f"{SECRET} report", "url": f"https://example.com/{SECRET}"},
        ],
        "timeline": [*facts["timeline"], {"kind": "expanded", "occurred_on": "2026-09-01", "note": SECRET}],
    }


def unpublished_version_make(state: str, editor, reviewer, slug: str = COLOSSUS) -> EvaluationVersion:
    """An open version of a published case, with ``SECRET`` in its text, on an annotation and
    in its facts (``secret_facts``).

    ``state``: draft, in_review or scheduled.
    """
    case = Case.objects.get(slug=slug)
    version = draft_version_make(
        case,
        editor,
        narrative_extra=f"\n\nUnpublished passage about {SECRET} capacity.",
        verdict=f"Unpublished verdict {SECRET}",
        annotate=f"{SECRET} capacity",
    )
    version = workflow.evaluation_version_save(
        version=version, by=editor, expected_lock=version.lock_version, facts=secret_facts(version)
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


def version_in_review(
    case_id: int, author, value: Callable[[Score], int] = lambda score: score.value
) -> EvaluationVersion:
    """A version in review copied from the case's published one, each score set by ``value``.

    Built directly, not through the desk's services, so that worker tests can
    publish a known change with a user who holds no group.
    """
    current = EvaluationVersion.objects.get(case_id=case_id, state=EvaluationVersion.State.PUBLISHED)
    version = EvaluationVersion.objects.create(
        evaluation=current.evaluation,
        case_id=case_id,
        number=current.number + 1,
        state=EvaluationVersion.State.IN_REVIEW,
        author=author,
        narrative=current.narrative,
        based_on=current,
    )
    Score.objects.bulk_create(
        Score(version=version, criterion=score.criterion, party=score.party, value=value(score))
        for score in current.scores.select_related("criterion", "party__organization")
    )
    return version


def checklist_cleared(version: EvaluationVersion, editor) -> EvaluationVersion:
    """``version`` saved so that the checklist no longer blocks submitting it: every criterion the
    draft leaves unscored scored 2 (per party, or for the deal), margin notes whose passage is gone
    removed. Scores already there keep their value, rationale, sources and quotes."""
    version = versions_with_content(EvaluationVersion.objects.filter(pk=version.pk)).get()
    kinds = {item.kind for item in version_checklist(version).blocking}
    if not kinds:
        return version
    scores, notes = None, None
    if "unscored" in kinds:
        held = list(version.scores.all())
        scored = {(s.criterion.key, s.party_id) for s in held}
        scores = [
            workflow.ScoreInput(
                criterion=s.criterion.key,
                party_id=s.party_id,
                value=s.value,
                rationale=s.rationale,
                source_ids=tuple(src.pk for src in s.sources.all()),
                citations=tuple(CitationInput(c.source_id, c.quote, c.prefix, c.suffix) for c in s.citations.all()),
            )
            for s in held
        ]
        party_ids = sorted(version_party_ids(version))
        for criterion in Criterion.objects.filter(version_id=version.evaluation.rubric_version_id):
            for party_id in party_ids if criterion.per_party else [None]:
                if (criterion.key, party_id) not in scored:
                    scores.append(workflow.ScoreInput(criterion.key, party_id, 2, "Scored to clear the checklist."))
    if "orphaned_notes" in kinds:
        notes = [
            annotations.AnnotationInput(
                quote=n.quote, kind=n.kind, body=n.body, prefix=n.prefix, suffix=n.suffix, author_id=n.author_id
            )
            for n in version.annotations.all()
            if not n.orphaned and anchoring.locate(version.narrative, n.quote, n.prefix, n.suffix) is not None
        ]
    return workflow.evaluation_version_save(
        version=version, by=editor, expected_lock=version.lock_version, scores=scores, annotations=notes
    )
