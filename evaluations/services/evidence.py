"""The evidence behind a score: quoted passages of the case's sources, anchored in their excerpts.

A citation is validated against the excerpt the editor pasted into the
source (``Source.excerpt``) and anchored with the margin notes' text-quote
anchoring (``evaluations.anchoring``). When an excerpt changes, the citations
of the case's open versions are re-anchored and flagged orphaned if their
quote is gone; citations of published versions keep the quote they published
(the database freezes them with their version).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.text import text_errors, text_input_normalize
from evaluations import anchoring
from evaluations.models import Citation, EvaluationVersion, Score

MAX_CITATIONS_PER_SCORE = 10


@dataclass(frozen=True)
class CitationInput:
    """One quoted passage as an edge hands it over: which source, and the exact words of its excerpt."""

    source_id: int
    quote: str
    prefix: str | None = None  # None: taken from the excerpt around the quote's first occurrence
    suffix: str | None = None


def citations_validated(
    excerpts: Mapping[int, str], items: Iterable[CitationInput]
) -> tuple[list[Citation], list[str]]:
    """Unsaved citations (without their score) for ``items``, and the problems found.

    ``excerpts`` maps each of the case's sources to its excerpt. A quote must be
    non-empty and appear word for word in its source's excerpt.
    """
    citations: list[Citation] = []
    problems: list[str] = []
    items = list(items)
    if len(items) > MAX_CITATIONS_PER_SCORE:
        return [], [f"at most {MAX_CITATIONS_PER_SCORE} quoted passages per score"]
    for position, item in enumerate(items):
        item = text_input_normalize(item)
        where = f"passage {position + 1}"
        excerpt = excerpts.get(item.source_id)
        if excerpt is None:
            problems.append(f"{where}: the source is not one of this case's sources")
            continue
        if not item.quote.strip():
            problems.append(f"{where}: the quote is empty")
            continue
        if not excerpt:
            problems.append(f"{where}: that source has no excerpt to quote yet; paste the relevant text first")
            continue
        if item.quote not in excerpt:
            problems.append(f"{where}: the quote does not appear in the source's excerpt")
            continue
        prefix, suffix = anchoring.context_for(excerpt, item.quote)
        citation = Citation(
            source_id=item.source_id,
            quote=item.quote,
            prefix=prefix if item.prefix is None else item.prefix[-anchoring.CONTEXT * 2 :],
            suffix=suffix if item.suffix is None else item.suffix[: anchoring.CONTEXT * 2],
            position=position,
        )
        errors = text_errors(citation, fields=["quote"])
        if errors:
            problems += [f"{where}: {message}" for messages in errors.values() for message in messages]
            continue
        citations.append(citation)
    return citations, problems


def citations_write(pairs: Iterable[tuple[Score, Iterable[Citation]]]) -> None:
    """Save validated citations under their (saved) scores, in one query."""
    rows = []
    for score, citations in pairs:
        for citation in citations:
            citation.score_id = score.pk
            rows.append(citation)
    Citation.objects.bulk_create(rows)


def citations_carry_over(pairs: Iterable[tuple[Score, Score]]) -> None:
    """Copy the citations of each old score to its new one, re-anchored in the excerpts as they are now.

    The old scores' citations must be prefetched with their sources (``citations__source``).
    """
    rows = [
        Citation(
            score_id=new.pk,
            source_id=old_citation.source_id,
            quote=old_citation.quote,
            prefix=old_citation.prefix,
            suffix=old_citation.suffix,
            position=old_citation.position,
            orphaned=_orphaned(old_citation.source.excerpt, old_citation),
        )
        for old, new in pairs
        for old_citation in old.citations.all()
    ]
    Citation.objects.bulk_create(rows)


def _orphaned(excerpt: str, citation: Citation) -> bool:
    return anchoring.locate(excerpt, citation.quote, citation.prefix, citation.suffix) is None


def citations_reanchor(*, source_id: int, excerpt: str) -> int:
    """Flag the citations of open versions quoting this source whose quote left its ``excerpt``.

    A citation whose quote is back (the edit was undone) is unflagged. Returns
    how many changed. Published citations are left as published.
    """
    changed = []
    for citation in Citation.objects.filter(
        source_id=source_id, score__version__state__in=EvaluationVersion.OPEN_STATES
    ).only("pk", "quote", "prefix", "suffix", "orphaned"):
        orphaned = _orphaned(excerpt, citation)
        if orphaned != citation.orphaned:
            citation.orphaned = orphaned
            changed.append(citation)
    Citation.objects.bulk_update(changed, ["orphaned"])
    return len(changed)
