"""What changed in our assessment, and why: one entry per published version after a case's first.

Pure: the selector hands over versions with their scores (criterion, party's
organization) and their rubric version's criteria; this module says what
kind of change each is, which scores moved, and the risk index and deal
classification before and after, each computed by the scoring engine from
that version's own scores under the rubric version it was scored under.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from evaluations import scoring

CORRECTION = "correction"
UPDATE = "update"
REEVALUATION = "reevaluation"
KIND_LABELS = {
    CORRECTION: "Correction",
    UPDATE: "Update",
    REEVALUATION: "Re-evaluation under a new rubric version",
}


@dataclass(frozen=True)
class ScoreMove:
    criterion: str
    party: str  # the organization's name, or "the deal"
    before: int | None  # None: not scored before
    after: int | None  # None: no longer scored


@dataclass(frozen=True)
class Figures:
    risk_index: Decimal | None
    classification: str  # the deal's classification code, "" when nothing was scored


@dataclass(frozen=True)
class Entry:
    version: Any  # the EvaluationVersion (its case selected)
    previous: Any  # the public version it followed
    kind: str
    moves: tuple[ScoreMove, ...]
    before: Figures
    after: Figures

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def anchor(self) -> str:
        """The entry's fragment id on the changelog page."""
        return f"{self.version.case.slug}-v{self.version.number}"

    @property
    def note(self) -> str:
        """Why it changed: the correction note if there is one, else the change note."""
        return self.version.correction_note or self.version.change_note


def change_kind(version, previous) -> str:
    """Re-evaluation when the rubric version changed; else a correction if one was noted; else an update."""
    if version.evaluation.rubric_version_id != previous.evaluation.rubric_version_id:
        return REEVALUATION
    if version.correction_note.strip():
        return CORRECTION
    return UPDATE


def _keyed(version) -> dict[tuple[str, str], int]:
    return {
        (s.criterion.key, s.party.organization.name if s.party is not None else "the deal"): s.value
        for s in version.scores.all()
    }


def score_moves(previous, version) -> tuple[ScoreMove, ...]:
    """Scores whose value changed, appeared or went, in the newer version's order then the older's."""
    before, after = _keyed(previous), _keyed(version)
    keys = list(after) + [key for key in before if key not in after]
    return tuple(
        ScoreMove(criterion=key[0], party=key[1], before=before.get(key), after=after.get(key))
        for key in keys
        if before.get(key) != after.get(key)
    )


def version_figures(version, spec: scoring.RubricSpec) -> Figures:
    """The deal's risk index and classification from this version's scores alone."""
    party_scores: dict[int, dict[str, int]] = {}
    deal_scores: dict[str, int] = {}
    for score in version.scores.all():
        if not spec.scale_min <= score.value <= spec.scale_max:
            continue  # cannot happen for a saved score; the engine would refuse it
        if score.party_id is None:
            deal_scores[score.criterion.key] = score.value
        else:
            party_scores.setdefault(score.party_id, {})[score.criterion.key] = score.value
    summary = scoring.summarize(spec, party_scores, deal_scores)
    return Figures(summary.risk_index, summary.classification.value if summary.classification else "")


def entries(versions, previous_of: Callable, spec_of: Callable) -> list[Entry]:
    """One entry per version; ``previous_of(version)`` gives the public version before it,
    ``spec_of(rubric_version)`` its engine spec (cached by the caller)."""
    result = []
    for version in versions:
        previous = previous_of(version)
        if previous is None:
            continue  # a case's first publication is not a change
        result.append(
            Entry(
                version=version,
                previous=previous,
                kind=change_kind(version, previous),
                moves=score_moves(previous, version),
                before=version_figures(previous, spec_of(previous.evaluation.rubric_version)),
                after=version_figures(version, spec_of(version.evaluation.rubric_version)),
            )
        )
    return result
