"""Reads for evaluations: rubric specs, current versions, engine inputs."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from evaluations import scoring
from evaluations.models import Criterion, EvaluationVersion, RubricVersion, Score


def rubric_spec(version: RubricVersion) -> scoring.RubricSpec:
    """The engine's view of a rubric version (uses prefetched criteria if present)."""
    return scoring.RubricSpec.build(
        scale_min=version.scale_min,
        scale_max=version.scale_max,
        criteria=[
            scoring.CriterionSpec(key=c.key, family=c.family, weight=c.weight, per_party=c.per_party)
            for c in version.criteria.all()
        ],
        classification=version.classification,
    )


def rubric_version_active(rubric_id: int) -> RubricVersion | None:
    return (
        RubricVersion.objects.filter(rubric_id=rubric_id, status=RubricVersion.Status.ACTIVE)
        .prefetch_related("criteria")
        .first()
    )


def evaluation_version_current(case_id: int) -> EvaluationVersion | None:
    """The case's published version, the one readers see now."""
    return (
        EvaluationVersion.objects.filter(case_id=case_id, state=EvaluationVersion.State.PUBLISHED)
        .select_related("evaluation__rubric_version")
        .first()
    )


def scores_with_keys(version_ids: Iterable[int]) -> QuerySet[Score]:
    return Score.objects.filter(version_id__in=list(version_ids)).select_related("criterion").order_by("id")


def criteria_prefetch() -> Prefetch:
    return Prefetch("criteria", queryset=Criterion.objects.order_by("position", "id"))
