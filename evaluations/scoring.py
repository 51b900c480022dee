"""The scoring engine: scores and a rubric version in, a risk summary out.

Pure: no database, no Django. Every threshold, weight and band comes from the
rubric version's data (``RubricSpec``), so a later version can change them.
The rule implemented is the one ``rubric_v1.json`` states in words:

* Per party, each family's figure is the weighted mean of that family's
  scored criteria, scaled to 0-100, rounded half up to one decimal; a family
  with nothing scored is ``None`` and counts as 0 in the rules below.
* A party is ``dependency_risk`` when dependency >= ``dependency_risk_at``;
  else ``durable_leverage`` when leverage >= ``leverage_at`` and workaround <
  ``workaround_at``; else ``temporary_workaround`` when workaround >=
  ``workaround_at``; else ``mixed``.
* The deal's risk index is the highest dependency figure plus
  ``workaround_share`` times the highest workaround figure, capped at 100.
  Its band is the highest band whose lower bound the index reaches.

Two choices the rubric leaves open, made here once: a per-deal criterion's
score counts in every party's figure for its family; and the deal is
classified as its most exposed party (dependency risk, then temporary
workaround, then mixed, then durable leverage).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

ONE_DECIMAL = Decimal("0.1")
HUNDRED = Decimal(100)
FAMILIES = ("leverage", "workaround", "dependency")


def label(code: str | None) -> str:
    """A classification's or band's code as readers see it: ``dependency_risk`` to ``dependency risk``."""
    return (code or "").replace("_", " ")


class Classification(StrEnum):
    DEPENDENCY_RISK = "dependency_risk"
    TEMPORARY_WORKAROUND = "temporary_workaround"
    MIXED = "mixed"
    DURABLE_LEVERAGE = "durable_leverage"

    @property
    def label(self) -> str:
        return label(self.value)


# Most exposed first: the deal takes the first of these any party has.
SEVERITY = (
    Classification.DEPENDENCY_RISK,
    Classification.TEMPORARY_WORKAROUND,
    Classification.MIXED,
    Classification.DURABLE_LEVERAGE,
)


class RubricDataError(ValueError):
    """The rubric version's data cannot drive the engine."""


@dataclass(frozen=True)
class CriterionSpec:
    key: str
    family: str
    weight: Decimal
    per_party: bool = True


@dataclass(frozen=True)
class RubricSpec:
    scale_min: int
    scale_max: int
    criteria: tuple[CriterionSpec, ...]
    dependency_risk_at: Decimal
    leverage_at: Decimal
    workaround_at: Decimal
    workaround_share: Decimal
    risk_bands: tuple[tuple[str, Decimal], ...]  # (name, lower bound), ascending

    @classmethod
    def build(
        cls, *, scale_min: int, scale_max: int, criteria: Sequence[CriterionSpec], classification: Mapping
    ) -> RubricSpec:
        """Validate a rubric version's data and turn it into a spec."""
        if scale_min >= scale_max:
            raise RubricDataError("the scale's minimum must be below its maximum")
        for criterion in criteria:
            if criterion.family not in FAMILIES:
                raise RubricDataError(f"criterion {criterion.key!r} has unknown family {criterion.family!r}")
            if Decimal(criterion.weight) <= 0:
                raise RubricDataError(f"criterion {criterion.key!r} needs a positive weight")
        try:
            bands = sorted(
                ((str(name), _decimal(bound)) for name, bound in classification["risk_bands"].items()),
                key=lambda band: band[1],
            )
            spec = cls(
                scale_min=scale_min,
                scale_max=scale_max,
                criteria=tuple(criteria),
                dependency_risk_at=_decimal(classification["dependency_risk_at"]),
                leverage_at=_decimal(classification["leverage_at"]),
                workaround_at=_decimal(classification["workaround_at"]),
                workaround_share=_decimal(classification["workaround_share_in_risk_index"]),
                risk_bands=tuple(bands),
            )
        except (KeyError, TypeError, AttributeError, ArithmeticError) as exc:
            raise RubricDataError(f"classification data is incomplete or malformed: {exc!r}") from None
        if not spec.risk_bands or spec.risk_bands[0][1] > 0:
            raise RubricDataError("risk bands must start at 0")
        return spec


@dataclass(frozen=True)
class PartyResult[K: Hashable]:
    party: K
    leverage: Decimal | None
    workaround: Decimal | None
    dependency: Decimal | None
    classification: Classification


@dataclass(frozen=True)
class Summary[K: Hashable]:
    parties: tuple[PartyResult[K], ...]
    risk_index: Decimal | None
    risk_band: str
    classification: Classification | None
    missing: tuple[str, ...] = field(default=())

    @property
    def needs_reevaluation(self) -> bool:
        return bool(self.missing)


def _decimal(value: object) -> Decimal:
    return Decimal(str(value))


def _round(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _family_figure(
    spec: RubricSpec, family: str, party_scores: Mapping[str, int], deal_scores: Mapping[str, int]
) -> Decimal | None:
    total = Decimal(0)
    weights = Decimal(0)
    for criterion in spec.criteria:
        if criterion.family != family:
            continue
        scores = party_scores if criterion.per_party else deal_scores
        if criterion.key not in scores:
            continue
        weight = _decimal(criterion.weight)
        total += weight * Decimal(scores[criterion.key])
        weights += weight
    if not weights:
        return None
    mean = total / weights
    return _round((mean - spec.scale_min) / (spec.scale_max - spec.scale_min) * HUNDRED)


def classify_party(
    spec: RubricSpec, leverage: Decimal | None, workaround: Decimal | None, dependency: Decimal | None
) -> Classification:
    leverage, workaround, dependency = (
        value if value is not None else Decimal(0) for value in (leverage, workaround, dependency)
    )
    if dependency >= spec.dependency_risk_at:
        return Classification.DEPENDENCY_RISK
    if leverage >= spec.leverage_at and workaround < spec.workaround_at:
        return Classification.DURABLE_LEVERAGE
    if workaround >= spec.workaround_at:
        return Classification.TEMPORARY_WORKAROUND
    return Classification.MIXED


def risk_band(spec: RubricSpec, risk_index: Decimal) -> str:
    # Bands start at 0 (RubricSpec.build checks) and the index is never negative.
    return [name for name, lower in spec.risk_bands if risk_index >= lower][-1]


def summarize[K: Hashable](
    spec: RubricSpec, party_scores: Mapping[K, Mapping[str, int]], deal_scores: Mapping[str, int] | None = None
) -> Summary[K]:
    """Compute a deal's summary from its scores.

    ``party_scores`` maps each scored party (any hashable key) to its scores
    by criterion key. Scores for keys the rubric does not have are ignored;
    criteria the rubric has but nobody scored are listed in ``missing``.
    """
    deal_scores = deal_scores or {}
    for scores in (*party_scores.values(), deal_scores):
        for key, value in scores.items():
            if not spec.scale_min <= value <= spec.scale_max:
                raise ValueError(f"score {value} for {key!r} is outside the scale {spec.scale_min}-{spec.scale_max}")

    results: list[PartyResult[K]] = []
    for party, scores in party_scores.items():
        leverage, workaround, dependency = (_family_figure(spec, family, scores, deal_scores) for family in FAMILIES)
        results.append(
            PartyResult(party, leverage, workaround, dependency, classify_party(spec, leverage, workaround, dependency))
        )

    missing = sorted(
        {
            criterion.key
            for criterion in spec.criteria
            if (criterion.per_party and any(criterion.key not in scores for scores in party_scores.values()))
            or (not criterion.per_party and criterion.key not in deal_scores)
        }
    )
    if not results:
        return Summary(parties=(), risk_index=None, risk_band="", classification=None, missing=tuple(missing))

    top_dependency = max(r.dependency or Decimal(0) for r in results)
    top_workaround = max(r.workaround or Decimal(0) for r in results)
    index = _round(min(HUNDRED, top_dependency + spec.workaround_share * top_workaround))
    present = {r.classification for r in results}
    deal_class = next(c for c in SEVERITY if c in present)
    return Summary(
        parties=tuple(results),
        risk_index=index,
        risk_band=risk_band(spec, index),
        classification=deal_class,
        missing=tuple(missing),
    )


def fingerprint(*parts: object) -> str:
    """A stable hash of JSON-serializable inputs: equal inputs, equal hash."""
    payload = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()
