"""What each score rests on, read from rows already loaded (pure: no queries of its own).

A score rests on a quoted passage (at least one citation still anchored in
its source's excerpt), on a source without a quote (sources named, or only
quotes that were orphaned), or on nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

QUOTED = "quoted"
SOURCE = "source"
NOTHING = "nothing"


def score_basis(score) -> str:
    """``quoted``, ``source`` or ``nothing`` for a score whose ``citations`` and ``sources`` are prefetched."""
    citations = list(score.citations.all())
    if any(not c.orphaned for c in citations):
        return QUOTED
    if citations or list(score.sources.all()):
        return SOURCE
    return NOTHING


@dataclass(frozen=True)
class BasisCounts:
    quoted: int
    source: int
    nothing: int

    @property
    def total(self) -> int:
        return self.quoted + self.source + self.nothing


def basis_counts(scores: Iterable) -> BasisCounts:
    bases = [score_basis(s) for s in scores]
    return BasisCounts(bases.count(QUOTED), bases.count(SOURCE), bases.count(NOTHING))
