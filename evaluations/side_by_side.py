"""Deals side by side, and the deals most like a given one. Pure: no database.

Alignment: the rows are the criteria of every compared case's rubric version,
matched by their stable ``key`` (first seen order; a later rubric version's
name wins); a case whose rubric version lacks a criterion shows "not in its
rubric version" there, one that has it unscored shows "not scored". Each cell
lists the case's own parties, so cases with different parties align on the
criterion, not on the party.

Similarity: the closest published cases score lowest on a distance made of
``1 - Jaccard`` of deal types, minus 0.3 per shared party and 0.15 per shared
control group (families), plus the mean absolute difference of the deal-level
leverage / workaround / dependency figures over 10; each part that brought the
cases closer is said as a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_CASES = 6
MIN_CASES = 2


@dataclass(frozen=True)
class ScoreRow:
    key: str
    party: str  # organization name, or "" for the deal
    value: int
    rationale: str


@dataclass
class Sheet:
    slug: str
    title: str
    rubric_label: str
    criteria: list[tuple[str, str]]  # (key, name) of its rubric version, in order
    scores: list[ScoreRow]
    parties: list[tuple[str, str, str]] = field(default_factory=list)  # (name, slug, role)
    facts: dict = field(default_factory=dict)
    figures: list[dict] = field(default_factory=list)
    verdict: str = ""
    classification: str = ""
    risk_index: float | None = None


def align(sheets: list[Sheet]) -> list[dict]:
    """One row per criterion key: {key, name, cells: [None | [ScoreRow...]]} (None: not in that rubric)."""
    order: list[str] = []
    names: dict[str, str] = {}
    for sheet in sheets:
        for key, name in sheet.criteria:
            if key not in names:
                order.append(key)
            names[key] = name
    rows = []
    for key in order:
        cells: list[list[ScoreRow] | None] = []
        for sheet in sheets:
            if key not in {k for k, _ in sheet.criteria}:
                cells.append(None)
                continue
            party_order = {name: i for i, (name, _, _) in enumerate(sheet.parties)}
            cells.append(
                sorted(
                    (s for s in sheet.scores if s.key == key),
                    key=lambda s: (s.party == "", party_order.get(s.party, 99), s.party),
                )
            )
        rows.append({"key": key, "name": names[key], "cells": cells})
    return rows


@dataclass(frozen=True)
class Profile:
    slug: str
    title: str
    deal_types: frozenset[str]
    deal_type_names: dict
    parties: dict  # organization id -> name
    groups: dict  # group id -> group name
    figures: tuple[float | None, float | None, float | None]  # deal-level leverage, workaround, dependency


def _figure_gap(a: Profile, b: Profile) -> float | None:
    pairs = [(x, y) for x, y in zip(a.figures, b.figures, strict=True) if x is not None and y is not None]
    if not pairs:
        return None
    return sum(abs(x - y) for x, y in pairs) / len(pairs)


def similarity(target: Profile, other: Profile) -> tuple[float, list[str]]:
    union = target.deal_types | other.deal_types
    shared_types = target.deal_types & other.deal_types
    distance = 1 - (len(shared_types) / len(union) if union else 0)
    reasons = []
    if shared_types:
        names = sorted(target.deal_type_names.get(t, t) for t in shared_types)
        reasons.append(f"also a {' and '.join(names)}")
    shared_parties = sorted(set(target.parties) & set(other.parties), key=lambda i: target.parties[i])
    distance -= 0.3 * len(shared_parties)
    if shared_parties:
        reasons.append("shares " + ", ".join(target.parties[i] for i in shared_parties))
    shared_groups = sorted(
        (set(target.groups) & set(other.groups)) - set(shared_parties), key=lambda i: target.groups[i]
    )
    distance -= 0.15 * len(shared_groups)
    if shared_groups:
        reasons.append("same corporate family as " + ", ".join(target.groups[i] for i in shared_groups))
    gap = _figure_gap(target, other)
    if gap is not None:
        distance += gap / 10
        if gap <= 1.5:
            reasons.append("a close score profile")
    return round(distance, 4), reasons


def most_similar(target: Profile, candidates: list[Profile], limit: int = 3) -> list[tuple[Profile, float, str]]:
    scored = []
    for other in candidates:
        if other.slug == target.slug:
            continue
        distance, reasons = similarity(target, other)
        if reasons:
            scored.append((distance, other.title, other, "; ".join(reasons)))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [(other, distance, reason) for distance, _, other, reason in scored[:limit]]
