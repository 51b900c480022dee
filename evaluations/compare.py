"""Comparing two evaluation versions: scores side by side, narrative as a diff of its prose.

Pure data in, pure data out; selectors fetch the versions, pages and the API
render the result.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from cases.facts import facts_changes
from core.text import text_normalize
from evaluations.markdown import plain_blocks
from evaluations.models import EvaluationVersion, Score


@dataclass(frozen=True)
class ScoreChange:
    criterion: str
    party: str  # organization name, or "deal"
    before: int | None
    after: int | None
    rationale_before: str
    rationale_after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after or text_normalize(self.rationale_before) != text_normalize(
            self.rationale_after
        )


@dataclass(frozen=True)
class DiffLine:
    op: str  # "equal", "insert", "delete"
    text: str


@dataclass(frozen=True)
class FactChange:
    """A fact of the case that differs between the two versions (values as the API shows them)."""

    field: str
    before: object
    after: object

    @property
    def label(self) -> str:
        return self.field.replace("_usd", " (USD)").replace("_mw", " (MW)").replace("_", " ").capitalize()

    @property
    def before_lines(self) -> list[str]:
        return _fact_lines(self.before)

    @property
    def after_lines(self) -> list[str]:
        return _fact_lines(self.after)


def _fact_lines(value: object) -> list[str]:
    """A fact as lines a reader can compare: one per party, source or event."""
    if value is None or value == "" or value == []:
        return ["(none)"]
    if not isinstance(value, list):
        return [str(value)]
    lines = []
    for item in value:
        if not isinstance(item, dict):
            lines.append(str(item))
        elif "role" in item:  # a party
            note = f", {item['note']}" if item.get("note") else ""
            lines.append(f"{item.get('organization_name') or item.get('organization')} ({item['role']}{note})")
        elif "url" in item:  # a source
            lines.append(f"{item.get('publisher')}: {item.get('title')} <{item.get('url')}>")
        else:  # a timeline event
            note = f": {item['note']}" if item.get("note") else ""
            lines.append(f"{item.get('kind')} {item.get('occurred_on')}{note}")
    return lines


@dataclass(frozen=True)
class Comparison:
    a: EvaluationVersion
    b: EvaluationVersion
    scores: tuple[ScoreChange, ...]
    narrative: tuple[DiffLine, ...]
    verdict_changed: bool
    facts: tuple[FactChange, ...] = ()

    @property
    def narrative_changed(self) -> bool:
        return any(line.op != "equal" for line in self.narrative)

    @property
    def changed_scores(self) -> tuple[ScoreChange, ...]:
        return tuple(s for s in self.scores if s.changed)


def _keyed(scores: Iterable[Score]) -> dict[tuple[str, str], Score]:
    # An organization that holds several roles in the deal is one party per role: its role tells them apart.
    scores = list(scores)
    roles: dict[str, set[str]] = {}
    for s in scores:
        if s.party is not None:
            roles.setdefault(s.party.organization.name, set()).add(getattr(s.party, "role", ""))

    def party(s: Score) -> str:
        if s.party is None:
            return "deal"
        name = s.party.organization.name
        return f"{name} ({s.party.role})" if len(roles[name]) > 1 else name

    return {(s.criterion.key, party(s)): s for s in scores}


_PARAGRAPH = "\n\n"  # the token between blocks (never a word: words hold no whitespace)


def _prose_tokens(markdown: str) -> list[str]:
    """The narrative as a reader sees it (core.text's rule, then rendered, Markdown syntax gone),
    as words with a paragraph token between blocks: spacing and line endings cannot show as changes."""
    tokens: list[str] = []
    for block in plain_blocks(text_normalize(markdown)):
        if tokens:
            tokens.append(_PARAGRAPH)
        tokens.extend(block.split())
    return tokens


def _joined(tokens: list[str]) -> str:
    text = ""
    for token in tokens:
        text += token if not text or token == _PARAGRAPH or text.endswith(_PARAGRAPH) else f" {token}"
    return text


def _words_diff(before: str, after: str) -> tuple[DiffLine, ...]:
    """A word-level diff of the rendered text, grouped into runs, readable as prose (paragraphs
    are separated by a blank line in ``text``). Equal text gives no insert or delete."""
    a, b = _prose_tokens(before), _prose_tokens(after)
    lines = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            lines.append(DiffLine("equal", _joined(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            lines.append(DiffLine("delete", _joined(a[i1:i2])))
        if op in ("insert", "replace"):
            lines.append(DiffLine("insert", _joined(b[j1:j2])))
    return tuple(lines)


def facts_compared(before: dict, after: dict) -> tuple[FactChange, ...]:
    """The facts that differ between two versions' facts (none when either carries none)."""
    return tuple(FactChange(**change) for change in facts_changes(before, after))


def compare_versions(a: EvaluationVersion, b: EvaluationVersion) -> Comparison:
    """Compare ``a`` (older) with ``b`` (newer); scores are read via ``.scores.all()``
    so prefetch ``scores__criterion`` and ``scores__party__organization``."""
    before, after = _keyed(a.scores.all()), _keyed(b.scores.all())
    order = list(before) + [key for key in after if key not in before]
    changes = tuple(
        ScoreChange(
            criterion=key[0],
            party=key[1],
            before=before[key].value if key in before else None,
            after=after[key].value if key in after else None,
            rationale_before=before[key].rationale if key in before else "",
            rationale_after=after[key].rationale if key in after else "",
        )
        for key in order
    )
    return Comparison(
        a=a,
        b=b,
        scores=changes,
        narrative=_words_diff(a.narrative, b.narrative),
        verdict_changed=text_normalize(a.verdict) != text_normalize(b.verdict),
        facts=facts_compared(a.facts, b.facts),
    )
