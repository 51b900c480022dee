"""A narrative rendered with its annotations anchored to the passages they quote.

Each annotation's quote is located in the Markdown source with
``anchoring.locate`` (the one rule for finding a quote), bracketed with
private-use marker characters, and the whole text is then rendered and
sanitized as usual. Only afterwards do the markers become
``<mark id="anchor-N">`` plus a margin note (a sidenote: beside the passage on
a wide screen, right under it on a phone, no JavaScript). The result goes
through the sanitizer once more, so nothing an editor wrote can add markup.

The markers travel in-band through the Markdown renderer, so no writer may be
able to forge one, neither by typing the characters (refused at the door by
``core.text``, but stored text predates that rule) nor as character references
(``&#xE010;``), which the renderer decodes. So each marker carries a random
token drawn for this rendering: only markers bearing it are turned into
markup, and whatever else the text holds stays text.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from evaluations import anchoring
from evaluations.double_reads import double_view
from evaluations.evidence import basis_counts
from evaluations.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, _md, render, sanitize
from evaluations.models import Annotation, EvaluationVersion

_OPEN, _CLOSE, _END = "\ue010", "\ue011", "\ue012"  # open-start, open-end / close

_NOTE_TAGS = ALLOWED_TAGS | {"aside", "a", "span"}
_NOTE_ATTRIBUTES = {
    **ALLOWED_ATTRIBUTES,
    "span": {"class", "id"},
    "a": {"href", "title", "class"},
    "sup": {"class"},
}


@dataclass(frozen=True)
class PlacedNote:
    annotation: Annotation
    number: int
    anchored: bool
    body_html: SafeString


@dataclass(frozen=True)
class AnnotatedNarrative:
    html: SafeString
    notes: tuple[PlacedNote, ...]

    @property
    def unanchored(self) -> tuple[PlacedNote, ...]:
        return tuple(note for note in self.notes if not note.anchored)


def _inline(text: str) -> str:
    """A note's Markdown rendered inline (it sits inside a paragraph)."""
    return sanitize(_md.renderInline(text or ""))


def _note_html(note: PlacedNote) -> str:
    a = note.annotation
    return (
        f'<sup class="note-ref"><a href="#note-{a.pk}" class="note-link">{note.number}</a></sup>'
        f'<span class="sidenote kind-{escape(a.kind)}" id="note-{a.pk}">'
        f'<span class="note-kind">{note.number}. {escape(a.get_kind_display())}</span> '
        f"{note.body_html} "
        f'<a href="#anchor-{a.pk}" class="note-back" title="Back to the passage">↩</a></span>'
    )


def render_annotated(narrative: str, annotations: Iterable[Annotation]) -> AnnotatedNarrative:
    """The narrative as safe HTML with each locatable annotation marked and noted beside it."""
    annotations = list(annotations)
    spans: list[tuple[int, int, Annotation]] = []
    for annotation in annotations:
        found = anchoring.locate(narrative, annotation.quote, annotation.prefix, annotation.suffix)
        if found is not None:
            spans.append((found[0], found[1], annotation))
    spans.sort(key=lambda span: (span[0], span[1]))
    placed: list[tuple[int, int, Annotation]] = []
    for start, end, annotation in spans:
        if placed and start < placed[-1][1]:
            continue  # overlaps a previous anchor: listed with the notes, not marked twice
        placed.append((start, end, annotation))
    anchored_ids = {a.pk for _, _, a in placed}
    order = {a.pk: i + 1 for i, (_, _, a) in enumerate(placed)}
    rest = [a for a in annotations if a.pk not in anchored_ids]
    for offset, a in enumerate(rest, start=len(placed) + 1):
        order[a.pk] = offset
    notes = {
        a.pk: PlacedNote(a, order[a.pk], a.pk in anchored_ids, mark_safe(_inline(a.body)))  # noqa: S308 - sanitized
        for a in annotations
    }
    token = secrets.token_hex(8)
    marker = re.compile(f"{_OPEN}{token}:(\\d+){_CLOSE}|{_END}{token}:(\\d+){_CLOSE}")
    text = narrative or ""
    for start, end, annotation in reversed(placed):
        text = (
            text[:start]
            + f"{_OPEN}{token}:{annotation.pk}{_CLOSE}"
            + text[start:end]
            + f"{_END}{token}:{annotation.pk}{_CLOSE}"
            + text[end:]
        )
    html = render(text)

    def replace(match: re.Match) -> str:
        if match.group(1):
            pk = int(match.group(1))
            kind = escape(notes[pk].annotation.kind)
            return f'<mark id="anchor-{pk}" class="anchor kind-{kind}">'
        return "</mark>" + _note_html(notes[int(match.group(2))])

    html = marker.sub(replace, html)
    # A quote spanning two blocks leaves tags crossing; the parser mends them.
    html = nh3.clean(
        html,
        tags=_NOTE_TAGS,
        attributes=_NOTE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    ordered = tuple(sorted(notes.values(), key=lambda note: note.number))
    return AnnotatedNarrative(mark_safe(html), ordered)  # noqa: S308 - sanitized above


def scores_by_party(version: EvaluationVersion) -> list[tuple[str, list]]:
    """Scores grouped per party (the deal's own scores last), from the prefetched rows."""
    scores = sorted(
        version.scores.all(),
        key=lambda s: (
            s.party_id is None,
            s.party.position if s.party is not None else 0,
            s.party_id or 0,
            s.criterion.position,
        ),
    )
    return [
        (name, list(rows))
        for name, rows in groupby(scores, key=lambda s: s.party.organization.name if s.party else "The deal")
    ]


def version_reading(version: EvaluationVersion) -> dict:
    """What the reader templates' analysis block (cases/_analysis.html) shows of a version, from
    its prefetched content: the case page, a past version's page and the desk's preview."""
    return {
        "version": version,
        "annotated": render_annotated(version.narrative, version.annotations.all()),
        "scores_by_party": scores_by_party(version),
        "evidence": basis_counts(version.scores.all()),
        "rubric_version": version.evaluation.rubric_version,
        # Read with the version (select_related): a query more only for a double-scored version,
        # shown to readers once public (a draft's preview shows none).
        "double": double_view(version, None, double) if (double := getattr(version, "double_scoring", None)) else None,
    }
