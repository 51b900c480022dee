"""Comparing two kept revisions of a version with the same code that compares versions.

A revision's content (evaluations.services.revisions.revision_content's shape)
is read into the few attributes evaluations.compare reads of a version: its
number, narrative, verdict and ``scores.all()``. Pure: no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from evaluations.compare import Comparison, compare_versions
from evaluations.models import EvaluationVersion, Revision


@dataclass(frozen=True)
class _Criterion:
    key: str


@dataclass(frozen=True)
class _Organization:
    name: str


@dataclass(frozen=True)
class _Party:
    organization: _Organization


@dataclass(frozen=True)
class _Score:
    criterion: _Criterion
    party: _Party | None
    value: int
    rationale: str


@dataclass(frozen=True)
class _Scores:
    items: tuple[_Score, ...]

    def all(self) -> tuple[_Score, ...]:
        return self.items


@dataclass(frozen=True)
class RevisionContent:
    """A revision as compare.py reads a version."""

    number: int
    narrative: str
    verdict: str
    change_note: str
    scores: _Scores
    facts: dict


def revision_view(revision: Revision) -> RevisionContent:
    content = revision.content
    return RevisionContent(
        number=revision.number,
        narrative=content["narrative"],
        verdict=content["verdict"],
        change_note=content["change_note"],
        facts=content.get("facts") or {},
        scores=_Scores(
            tuple(
                _Score(
                    criterion=_Criterion(score["criterion"]),
                    party=_Party(_Organization(score["organization_name"]))
                    if score["organization_name"] is not None
                    else None,
                    value=score["value"],
                    rationale=score["rationale"],
                )
                for score in content["scores"]
            )
        ),
    )


@dataclass(frozen=True)
class RevisionComparison:
    """Two revisions compared: ``comparison`` as for versions, plus what only a draft has (margin
    notes added or removed, the change note)."""

    older: Revision
    newer: Revision
    comparison: Comparison
    notes_added: tuple[dict, ...]
    notes_removed: tuple[dict, ...]
    change_note_changed: bool

    @property
    def label_a(self) -> str:
        return f"rev. {self.older.number}"

    @property
    def label_b(self) -> str:
        return f"rev. {self.newer.number}"

    @property
    def unchanged(self) -> bool:
        c = self.comparison
        return not (
            c.changed_scores
            or c.verdict_changed
            or c.facts
            or any(line.op != "equal" for line in c.narrative)
            or self.notes_added
            or self.notes_removed
            or self.change_note_changed
        )


def _note_key(note: dict) -> tuple[str, str, str]:
    return (note["kind"], note["quote"], note["body"])


def compare_revisions(older: Revision, newer: Revision) -> RevisionComparison:
    """``older`` and ``newer`` compared as two versions are: scores side by side, the narrative as a diff.

    The comparison's ``a`` and ``b`` are RevisionContent (number, narrative, verdict, change note),
    not versions: compare_versions reads nothing else of them.
    """
    a, b = revision_view(older), revision_view(newer)
    before = {_note_key(n): n for n in older.content["annotations"]}
    after = {_note_key(n): n for n in newer.content["annotations"]}
    return RevisionComparison(
        older=older,
        newer=newer,
        comparison=compare_versions(cast(EvaluationVersion, a), cast(EvaluationVersion, b)),
        notes_added=tuple(note for key, note in after.items() if key not in before),
        notes_removed=tuple(note for key, note in before.items() if key not in after),
        change_note_changed=a.change_note != b.change_note,
    )
