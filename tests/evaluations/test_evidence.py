"""Evidence behind scores: quoted passages of a source's excerpt, anchored, orphaned by edits, frozen when published."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.models import Case
from cases.source_excerpts import source_excerpt_set
from evaluations import anchoring
from evaluations.evidence import basis_counts, score_basis
from evaluations.models import Citation, EvaluationVersion
from evaluations.services import evidence, workflow
from tests.support.content import COLOSSUS

QUOTE = "more than 300 megawatts of new capacity (over 220,000 NVIDIA GPUs) within the month"


def _colossus_published() -> EvaluationVersion:
    return EvaluationVersion.objects.get(case__slug=COLOSSUS, state="published")


def _inputs(version: EvaluationVersion, **overrides) -> list[workflow.ScoreInput]:
    """The version's scores as inputs, citations included; ``overrides`` replace one score's citations by key."""
    inputs = []
    for score in version.scores.select_related("criterion").prefetch_related("citations", "sources"):
        citations = tuple(evidence.CitationInput(source_id=c.source_id, quote=c.quote) for c in score.citations.all())
        key = f"{score.criterion.key}_{score.party_id}"
        inputs.append(
            workflow.ScoreInput(
                criterion=score.criterion.key,
                party_id=score.party_id,
                value=score.value,
                rationale=score.rationale,
                source_ids=tuple(s.pk for s in score.sources.all()),
                citations=overrides.get(key, citations),
            )
        )
    return inputs


@pytest.mark.django_db
def test_the_demo_colossus_scores_rest_on_quotes_of_its_sources(demo):
    version = _colossus_published()
    citations = list(Citation.objects.filter(score__version=version).select_related("source"))
    assert len(citations) == 6
    for citation in citations:
        assert not citation.orphaned
        assert anchoring.locate(citation.source.excerpt, citation.quote, citation.prefix, citation.suffix)
        assert citation.source in citation.score.sources.all()  # a quoted source is among the score's sources
    scores = list(version.scores.prefetch_related("citations", "sources"))
    counts = basis_counts(scores)
    assert (counts.quoted, counts.source) == (5, 3) and counts.nothing >= 1
    assert counts.total == len(scores)


@pytest.mark.django_db
def test_a_draft_cites_a_passage_anchored_with_context_and_its_source_joins_the_score(demo, editor):
    case = Case.objects.get(slug=COLOSSUS)
    source = case.sources.order_by("position").first()
    draft = workflow.evaluation_version_start(case=case, by=editor)
    score = draft.scores.select_related("criterion").filter(criterion__key="distribution").first()
    key = f"distribution_{score.party_id}"
    quote = "use all of the compute capacity"
    workflow.evaluation_version_save(
        version=draft,
        by=editor,
        expected_lock=draft.lock_version,
        scores=_inputs(draft, **{key: (evidence.CitationInput(source_id=source.pk, quote=quote),)}),
    )
    saved = draft.scores.get(pk__isnull=False, criterion__key="distribution", party_id=score.party_id)
    citation = saved.citations.get()
    assert citation.quote == quote and citation.prefix.endswith("agreement with SpaceX to ")
    assert citation.suffix.startswith(" at their Colossus 1")
    assert source in saved.sources.all()
    assert score_basis(saved) == "quoted"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "quote,message",
    [
        ("words that are not in the excerpt", "does not appear in the source's excerpt"),
        ("   ", "the quote is empty"),
    ],
)
def test_a_quote_not_in_the_excerpt_is_refused_and_nothing_is_written(demo, editor, quote, message):
    case = Case.objects.get(slug=COLOSSUS)
    source = case.sources.order_by("position").first()
    draft = workflow.evaluation_version_start(case=case, by=editor)
    before = (draft.lock_version, Citation.objects.filter(score__version=draft).count())
    score = draft.scores.select_related("criterion").first()
    key = f"{score.criterion.key}_{score.party_id}"
    with pytest.raises(ValidationError) as exc:
        workflow.evaluation_version_save(
            version=draft,
            by=editor,
            expected_lock=draft.lock_version,
            scores=_inputs(draft, **{key: (evidence.CitationInput(source_id=source.pk, quote=quote),)}),
        )
    assert any(message in m for messages in exc.value.message_dict.values() for m in messages)
    draft.refresh_from_db()
    assert (draft.lock_version, Citation.objects.filter(score__version=draft).count()) == before


@pytest.mark.django_db
def test_editing_the_excerpt_orphans_the_drafts_citations_not_the_published_ones(demo, editor):
    case = Case.objects.get(slug=COLOSSUS)
    published = _colossus_published()
    draft = workflow.evaluation_version_start(case=case, by=editor)
    carried = Citation.objects.filter(score__version=draft)
    assert carried.count() == Citation.objects.filter(score__version=published).count()  # carried over
    source = Citation.objects.get(score__version=published, quote=QUOTE).source
    original = source.excerpt

    source_excerpt_set(source=source, by=editor, excerpt=original.replace("300 megawatts", "three hundred megawatts"))
    assert carried.get(quote=QUOTE).orphaned
    assert not Citation.objects.get(score__version=published, quote=QUOTE).orphaned  # the record stays as published
    # The other passage of the same excerpt is still there: still anchored.
    assert not carried.filter(source=source).exclude(quote=QUOTE).filter(orphaned=True).exists()

    source_excerpt_set(source=source, by=editor, excerpt="Pasted again, with more before it. " + original)
    assert not carried.get(quote=QUOTE).orphaned  # back: unflagged


@pytest.mark.django_db
def test_a_new_draft_started_after_an_excerpt_edit_carries_the_citation_flagged(demo, editor):
    source = Citation.objects.get(score__version=_colossus_published(), quote=QUOTE).source
    source_excerpt_set(source=source, by=editor, excerpt="Something else entirely.")
    draft = workflow.evaluation_version_start(case=source.case, by=editor)
    citation = Citation.objects.get(score__version=draft, quote=QUOTE)
    assert citation.orphaned
    score = draft.scores.prefetch_related("citations", "sources").get(pk=citation.score_id)
    assert score_basis(score) == "source"  # an orphaned quote is a source without a quote


@pytest.mark.django_db
def test_citations_of_a_published_version_are_frozen_in_the_database(demo):
    citation = Citation.objects.filter(score__version=_colossus_published()).first()
    for sql, params in (
        ("UPDATE evaluations_citation SET quote = %s WHERE id = %s", ["rewritten", citation.pk]),
        ("DELETE FROM evaluations_citation WHERE id = %s", [citation.pk]),
        (
            "INSERT INTO evaluations_citation (score_id, source_id, quote, prefix, suffix, orphaned, position)"
            " VALUES (%s, %s, %s, '', '', %s, 9)",
            [citation.score_id, citation.source_id, "added", False],
        ),
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    citation.refresh_from_db()
    assert citation.quote != "rewritten"


# --- The anchoring under random edits of the excerpt (pure) -------------------------------

TEXT = st.text(alphabet="abcde .,", max_size=60)


@settings(max_examples=300, deadline=None)
@given(
    before=TEXT,
    after=TEXT,
    at=st.integers(min_value=0, max_value=200),
    cut=st.integers(min_value=0, max_value=30),
    insert=st.text(alphabet="abcdeXYZ ", max_size=20),
)
def test_a_citation_is_orphaned_exactly_when_an_edit_removes_its_quote(before, after, at, cut, insert):
    quote = "XYZ quoted passage XYZ"
    excerpt = before + quote + after
    (citation,), problems = evidence.citations_validated({1: excerpt}, [evidence.CitationInput(1, quote)])
    assert not problems
    at = min(at, len(excerpt))
    edited = excerpt[:at] + insert + excerpt[at + cut :]
    found = anchoring.locate(edited, citation.quote, citation.prefix, citation.suffix)
    assert (found is None) == (quote not in edited)
    if found is not None:
        assert edited[found[0] : found[1]] == quote
    start = len(before)
    if at + cut <= start or at >= start + len(quote):  # the edit left the quote alone: still found, where it went
        assert found is not None
        shift = len(insert) - cut if at + cut <= start else 0
        if edited.count(quote) == 1:
            assert found == (start + shift, start + shift + len(quote))
