"""How consistently two editors score: Krippendorff's alpha for ordinal data, per rubric version and criterion.

Computed from the raw scores of independently double-scored versions readers can see
(published or superseded): each (version, criterion, party) scored by both editors is one
unit with two values. The alpha itself comes from the ``krippendorff`` package (its
ordinal metric); ``ordinal_alpha`` is checked against Krippendorff's own worked example
in tests/evaluations/test_agreement.py. Alpha is 1 for perfect agreement, 0 for agreement
no better than chance; it is undefined (None) without at least one unit and two distinct values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import krippendorff

from evaluations.models import Criterion, EvaluationVersion, RawScore, RubricVersion


def ordinal_alpha(data: Sequence[Sequence[float | None]], value_domain: Sequence[int] | None = None) -> float | None:
    """Krippendorff's alpha (ordinal) of a reliability data matrix: one row per coder, one
    column per unit, None where a coder gave no value. None when it is undefined."""
    values = {value for row in data for value in row if value is not None}
    if len(values) < 2:
        return None
    matrix = [[math.nan if value is None else float(value) for value in row] for row in data]
    alpha = krippendorff.alpha(
        reliability_data=matrix,
        level_of_measurement="ordinal",
        value_domain=sorted(set(value_domain or ()) | values),
    )
    return None if math.isnan(alpha) else float(alpha)


@dataclass
class CriterionAgreement:
    key: str
    question: str
    alpha: float | None
    units: int


@dataclass
class Agreement:
    alpha: float | None = None
    cases: int = 0
    units: int = 0
    criteria: list[CriterionAgreement] = field(default_factory=list)


def rubric_version_agreement(rubric_version: RubricVersion) -> Agreement:
    """The agreement figures of ``rubric_version``, from its public double-scored versions (two queries)."""
    rows = (
        RawScore.objects.filter(
            version__evaluation__rubric_version=rubric_version,
            version__state__in=EvaluationVersion.PUBLIC_STATES,
            version__double_scoring__isnull=False,
        )
        .values_list(
            "version_id",
            "version__case_id",
            "criterion_id",
            "party_id",
            "scorer_id",
            "version__double_scoring__first_scorer_id",
            "value",
        )
        .order_by("version_id", "criterion_id", "party_id", "scorer_id")
    )
    pairs: dict[tuple[int, int, int | None], list[int | None]] = {}
    cases_of: dict[tuple[int, int, int | None], int] = {}
    for version_id, case_id, criterion_id, party_id, scorer_id, first_id, value in rows:
        unit = (version_id, criterion_id, party_id)
        pair = pairs.setdefault(unit, [None, None])
        pair[0 if scorer_id == first_id else 1] = value
        cases_of[unit] = case_id
    units = {unit: pair for unit, pair in pairs.items() if None not in pair}
    domain = list(range(rubric_version.scale_min, rubric_version.scale_max + 1))

    def alpha_of(selected: list[list[int | None]]) -> float | None:
        if not selected:
            return None
        return ordinal_alpha([[p[0] for p in selected], [p[1] for p in selected]], domain)

    criteria = []
    for criterion in Criterion.objects.filter(version=rubric_version).order_by("position", "id"):
        selected = [pair for (_, criterion_id, _), pair in units.items() if criterion_id == criterion.pk]
        criteria.append(CriterionAgreement(criterion.key, criterion.question, alpha_of(selected), len(selected)))
    return Agreement(
        alpha=alpha_of(list(units.values())),
        cases=len({cases_of[unit] for unit in units}),
        units=len(units),
        criteria=criteria,
    )
