"""Reads for the case library, with what each page needs prefetched."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from cases.models import Case, Organization, Party, Source
from evaluations.models import Annotation, EvaluationVersion, PartyFigure, Score


def case_list_published() -> QuerySet[Case]:
    """Published cases with what an archive row shows; a fixed number of queries."""
    return (
        Case.objects.published()
        .select_related("risk_summary")
        .prefetch_related(
            Prefetch("parties", queryset=Party.objects.select_related("organization").order_by("position", "id")),
            "deal_types",
        )
    )


def case_detail_published(slug: str) -> Case:
    """A published case with everything its page shows, or Case.DoesNotExist."""
    return (
        case_list_published()
        .select_related("risk_summary__rubric_version__rubric", "risk_summary__evaluation_version")
        .prefetch_related(
            "tags",
            "timeline",
            Prefetch("sources", queryset=Source.objects.order_by("position", "id")),
            Prefetch(
                "risk_summary__party_figures",
                queryset=PartyFigure.objects.select_related("organization").order_by("party__position", "id"),
            ),
        )
        .get(slug=slug)
    )


def evaluation_version_for_reader(case: Case) -> EvaluationVersion | None:
    """The published version of a case with its scores and annotations."""
    return (
        EvaluationVersion.objects.filter(case=case, state=EvaluationVersion.State.PUBLISHED)
        .select_related("evaluation__rubric_version__rubric")
        .prefetch_related(
            Prefetch(
                "scores",
                queryset=Score.objects.select_related("criterion", "party__organization")
                .prefetch_related("sources")
                .order_by("criterion__position", "party__position", "id"),
            ),
            Prefetch("annotations", queryset=Annotation.objects.order_by("id")),
        )
        .first()
    )


def organization_detail(slug: str) -> Organization:
    return Organization.objects.get(slug=slug)


def case_search(queryset: QuerySet[Case], query: str) -> QuerySet[Case]:
    """Cases in ``queryset`` matching ``query`` (title, summary, analysis, sources)."""
    query = query.strip()
    if not query:
        return queryset
    return queryset.filter(
        Q(title__icontains=query)
        | Q(summary__icontains=query)
        | Q(pk__in=Source.objects.filter(title__icontains=query).values("case_id"))
        | Q(pk__in=EvaluationVersion.objects.filter(state="published", narrative__icontains=query).values("case_id"))
    )
