"""The REST API of the case library: public reads, editors' writes, streamed exports.

Views parse and validate, then call selectors (reads) and services (writes);
service errors become HTTP statuses in core.api.exception_handler.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import DecimalField, Exists, OuterRef, QuerySet, Value, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import cache_keys, selectors, services
from cases.filters import CaseFilter
from cases.models import Case, DealType, Organization, Party, Source, Tag
from cases.serializers import (
    CaseDetailSerializer,
    CaseListSerializer,
    CaseWriteSerializer,
    OrganizationSerializer,
    OrganizationWriteSerializer,
    PartySerializer,
    PartyWriteSerializer,
    SourceSerializer,
    SourceWriteSerializer,
    party_inputs,
)
from core.api import ConditionalGetMixin, CursorPagination, errors, links, page_etag
from core.http import absolute_url
from core.types import AuthenticatedApiRequest
from evaluations import policy
from evaluations.evidence import NOTHING, QUOTED, SOURCE
from evaluations.models import Citation, EvaluationVersion, Score

# --- Cases ----------------------------------------------------------------------


def case_for(request: Request, slug: str) -> Case:
    """The case named by ``slug`` if this user may see it (drafts: editors only), else 404."""
    cases = Case.objects.all() if policy.may_see_drafts(request.user, "case") else Case.objects.published()
    return get_object_or_404(cases, slug=slug)


def _case_detail(request: Request, slug: str) -> Case:
    return selectors.case_detail(slug, include_drafts=policy.may_see_drafts(request.user, "case"))


def _case_response(request: Request, case: Case, *, status_code: int = 200) -> Response:
    context = {"request": request, "current_version": selectors.evaluation_version_for_reader(case)}
    return Response(CaseDetailSerializer(case, context=context).data, status=status_code)


class CaseOrdering(OrderingFilter):
    ordering_fields = ["announced_on", "risk_index", "title"]
    ordering_description = "announced_on, risk_index or title; prefix with - for descending (default -announced_on)."


class CaseListView(ConditionalGetMixin, generics.GenericAPIView):
    """Published cases, filtered, ordered and cursor-paginated."""

    serializer_class = CaseListSerializer
    filterset_class = CaseFilter
    # The stub types GenericAPIView.filter_backends by the view's model; the settings' list it holds isn't.
    filter_backends = [*generics.GenericAPIView.filter_backends, CaseOrdering]  # type: ignore[misc]
    pagination_class = CursorPagination
    ordering = ["-announced_on"]

    def get_queryset(self) -> QuerySet[Case]:
        # Cases without a computed index sort below every real one, and the
        # cursor needs a value it can compare, so null becomes -1.
        return selectors.case_list_api().annotate(
            risk_index=Coalesce(
                "risk_summary__risk_index",
                Value(Decimal("-1.0")),
                output_field=DecimalField(max_digits=4, decimal_places=1),
            )
        )

    @extend_schema(
        operation_id="cases_list",
        responses={200: CaseListSerializer(many=True), **errors(304, 400, 401, 404, 429)},
        description="Published cases. An unknown cursor is 404; a bad filter value is 400.",
    )
    def get(self, request: Request) -> Response:
        # The page's own query reads the cases and their summaries; each item comes from the cache,
        # keyed on those rows (cache_keys.api_row), and only the missing ones read their parties,
        # deal types and tags. The ETag is the items' keys and the page's links: a conditional GET
        # costs that one query, and a page whose rows did not change keeps its validator.
        queryset = self.filter_queryset(self.get_queryset()).prefetch_related(None)
        page = self.paginate_queryset(queryset) or []
        keys = [cache_keys.api_row(case) for case in page]
        cached = cache.get_many(keys) if keys else {}
        misses = [case for case, key in zip(page, keys, strict=True) if key not in cached]
        if misses:
            prefetch_related_objects(misses, *selectors.case_list_api_prefetches())
            fresh = dict(
                zip(
                    (cache_keys.api_row(case) for case in misses),
                    self.get_serializer(misses, many=True).data,
                    strict=True,
                )
            )
            cache.set_many(fresh, cache_keys.ROW_TIMEOUT)
            cached.update(fresh)
        response = self.get_paginated_response([cached[key] for key in keys])
        response["ETag"] = page_etag("cl", keys, response.data)
        return response

    @extend_schema(
        operation_id="cases_create",
        request=CaseWriteSerializer,
        responses={201: CaseDetailSerializer, **errors(400, 401, 403, 409, 429)},
        description="Create a case (a draft until its first evaluation is published). Editors.",
        extensions=links(
            201,
            GetCase=("cases_retrieve", {"slug": "$response.body#/slug"}),
            UpdateCase=("cases_update", {"slug": "$response.body#/slug"}),
            AddParty=("cases_parties_create", {"slug": "$response.body#/slug"}),
            AddSource=("cases_sources_create", {"slug": "$response.body#/slug"}),
            StartEvaluation=("cases_evaluations_create", {"slug": "$response.body#/slug"}),
        ),
    )
    def post(self, request: AuthenticatedApiRequest) -> Response:
        serializer = CaseWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = services.case_create(by=request.user, data=serializer.to_input())
        response = _case_response(request, _case_detail(request, case.slug), status_code=status.HTTP_201_CREATED)
        response["Location"] = absolute_url(reverse("api:case-detail", kwargs={"slug": case.slug}))
        return response


class CaseDetailView(ConditionalGetMixin, APIView):
    def etag_validator(self, request: Request, **kwargs) -> str | None:
        return selectors.api_case_etag(kwargs["slug"])

    @extend_schema(
        operation_id="cases_retrieve",
        responses={200: CaseDetailSerializer, **errors(304, 401, 404, 429)},
        description="A case with parties, sources, timeline, its published analysis and risk summary.",
    )
    def get(self, request: Request, slug: str) -> Response:
        return _case_response(request, _case_detail(request, slug))

    @extend_schema(
        operation_id="cases_update",
        request=CaseWriteSerializer,
        responses={200: CaseDetailSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Update a case that was never published. Fields left out keep their value; `parties` and "
        "`sources`, when given, replace the lists held. 409 once the case has a published analysis: its facts "
        "then change only through a version (PATCH `facts` of its draft, /api/v1/evaluation-versions/{id}/). Editors.",
    )
    def patch(self, request: AuthenticatedApiRequest, slug: str) -> Response:
        case = case_for(request, slug)
        serializer = CaseWriteSerializer(data=request.data, update=True)
        serializer.is_valid(raise_exception=True)
        case = services.case_update(case=case, by=request.user, data=serializer.to_input(case))
        return _case_response(request, _case_detail(request, case.slug))


class CasePartiesView(APIView):
    @extend_schema(
        operation_id="cases_parties_create",
        request=PartyWriteSerializer,
        responses={201: PartySerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Add a party to a case. 409 once the case is published. Editors.",
        extensions=links(
            201,
            RemoveParty=(
                "cases_parties_destroy",
                {"slug": "$request.path.slug", "organization": "$response.body#/organization"},
            ),
        ),
    )
    def post(self, request: AuthenticatedApiRequest, slug: str) -> Response:
        case = case_for(request, slug)
        serializer = PartyWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        (data,) = party_inputs([serializer.validated_data], field=None)
        party = services.party_add(case=case, by=request.user, data=data)
        return Response(PartySerializer(party).data, status=status.HTTP_201_CREATED)


class CasePartyView(APIView):
    @extend_schema(
        operation_id="cases_parties_destroy",
        responses={204: None, **errors(400, 401, 403, 404, 409, 429)},
        description="Remove a party (refused, 400, while a published analysis scores it). "
        "409 once the case is published: its facts change through a version. Editors.",
    )
    def delete(self, request: AuthenticatedApiRequest, slug: str, organization: str) -> Response:
        case = case_for(request, slug)
        party = get_object_or_404(Party, case=case, organization__slug=organization)
        services.party_remove(party=party, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CaseSourcesView(APIView):
    @extend_schema(
        operation_id="cases_sources_create",
        request=SourceWriteSerializer,
        responses={201: SourceSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Add a source to a case. 409 once the case is published: its facts change through a "
        "version (PATCH its draft's `facts`). Editors.",
        extensions=links(
            201,
            UpdateSource=("cases_sources_update", {"slug": "$request.path.slug", "id": "$response.body#/id"}),
            DeleteSource=("cases_sources_destroy", {"slug": "$request.path.slug", "id": "$response.body#/id"}),
        ),
    )
    def post(self, request: AuthenticatedApiRequest, slug: str) -> Response:
        case = case_for(request, slug)
        serializer = SourceWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        source = services.source_add(case=case, by=request.user, data=serializer.to_input())
        return Response(SourceSerializer(source).data, status=status.HTTP_201_CREATED)


class CaseSourceView(APIView):
    def _source(self, request: Request, slug: str, pk: int) -> Source:
        return get_object_or_404(Source, case=case_for(request, slug), pk=pk)

    @extend_schema(
        operation_id="cases_sources_update",
        request=SourceWriteSerializer,
        responses={200: SourceSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Replace a source's fields. 409 once the case is published. Editors.",
    )
    def put(self, request: AuthenticatedApiRequest, slug: str, pk: int) -> Response:
        source = self._source(request, slug, pk)
        serializer = SourceWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        source = services.source_update(source=source, by=request.user, data=serializer.to_input())
        return Response(SourceSerializer(source).data)

    @extend_schema(
        operation_id="cases_sources_destroy",
        responses={204: None, **errors(400, 401, 403, 404, 409, 429)},
        description="Remove a source. Editors.",
    )
    def delete(self, request: AuthenticatedApiRequest, slug: str, pk: int) -> Response:
        services.source_delete(source=self._source(request, slug, pk), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Organizations ----------------------------------------------------------------


class OrganizationPagination(CursorPagination):
    ordering = ("name",)


class OrganizationListView(ConditionalGetMixin, generics.GenericAPIView):
    serializer_class = OrganizationSerializer
    pagination_class = OrganizationPagination
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Organization]:
        # The reader site's list: an organization named only by unpublished cases would give away a
        # deal in the works. The newsroom sees every organization (its writes name them).
        if policy.may_see_drafts(self.request.user, "case"):
            return Organization.objects.select_related("exposure")
        return selectors.organization_list_published().select_related("exposure")

    @extend_schema(
        operation_id="organizations_list",
        responses={200: OrganizationSerializer(many=True), **errors(304, 401, 404, 429)},
        description="Organizations with their exposure across published cases.",
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        operation_id="organizations_create",
        request=OrganizationWriteSerializer,
        responses={201: OrganizationSerializer, **errors(400, 401, 403, 409, 429)},
        description="Add an organization. Editors.",
        extensions=links(
            201,
            GetOrganization=("organizations_retrieve", {"slug": "$response.body#/slug"}),
            UpdateOrganization=("organizations_update", {"slug": "$response.body#/slug"}),
        ),
    )
    def post(self, request: AuthenticatedApiRequest) -> Response:
        serializer = OrganizationWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = services.organization_create(by=request.user, **serializer.validated_data)
        return Response(OrganizationSerializer(organization).data, status=status.HTTP_201_CREATED)


class OrganizationDetailView(ConditionalGetMixin, APIView):
    def etag_validator(self, request: Request, **kwargs) -> str | None:
        return selectors.api_organization_etag(kwargs["slug"])

    @extend_schema(
        operation_id="organizations_retrieve",
        responses={200: OrganizationSerializer, **errors(304, 401, 404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        try:
            organization = selectors.organization_api_detail(
                slug, include_unpublished=policy.may_see_drafts(request.user, "case")
            )
        except Organization.DoesNotExist:
            raise Http404("No such organization.") from None
        return Response(OrganizationSerializer(organization).data)

    @extend_schema(
        operation_id="organizations_update",
        request=OrganizationWriteSerializer(partial=True),
        responses={200: OrganizationSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Edit an organization; fields left out keep their value. Editors.",
    )
    def patch(self, request: AuthenticatedApiRequest, slug: str) -> Response:
        # Looked up as GET does: an organization named only by unpublished cases is 404 to
        # whoever may not see it, as a slug that names nothing is (no 403 that confirms it exists).
        visible = selectors.organizations_visible(include_unpublished=policy.may_see_drafts(request.user, "case"))
        organization = get_object_or_404(visible, slug=slug)
        serializer = OrganizationWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = {k: v for k, v in serializer.validated_data.items() if not (k == "slug" and not v)}
        organization = services.organization_update(organization=organization, by=request.user, **fields)
        return Response(OrganizationSerializer(organization).data)


# --- Exports ----------------------------------------------------------------------

EXPORT_CHUNK = 500
EXPORT_FIELDS = [
    "slug", "title", "announced_on", "deal_types", "tags", "parties", "value_low_usd", "value_high_usd",
    "capacity_mw", "capacity_chips", "risk_index", "risk_band", "classification", "rubric", "rubric_version",
    "evaluation_version", "first_published_at", "scores_quoted", "scores_source_only", "scores_uncited",
]  # fmt: skip


_EXPORT_COLUMNS = (
    "pk", "slug", "title", "announced_on", "value_low_usd", "value_high_usd", "capacity_mw", "capacity_chips",
    "risk_summary__risk_index", "risk_summary__risk_band", "risk_summary__classification",
    "risk_summary__rubric_version__rubric__slug", "risk_summary__rubric_version__number",
    "risk_summary__evaluation_version__number", "first_published_at",
)  # fmt: skip


# One timestamp format everywhere: the API's own (ISO 8601 with its offset, ``Z`` for UTC).
_TIMESTAMP = serializers.DateTimeField()


def _number(value: Decimal | None) -> float | None:
    """Decimals go out as JSON numbers, as the API sends them (not strings: a client must not have to parse)."""
    return None if value is None else float(value)


class ExportPartySerializer(serializers.Serializer):
    organization = serializers.SlugField()
    role = serializers.ChoiceField(choices=Party.Role.choices)


class ExportCaseSerializer(serializers.Serializer):
    """One item of ``cases.json`` (and one row of ``cases.csv``, its lists joined); documentation only."""

    slug = serializers.SlugField()
    title = serializers.CharField()
    announced_on = serializers.DateField()
    deal_types = serializers.ListField(child=serializers.SlugField())
    tags = serializers.ListField(child=serializers.CharField())
    parties = ExportPartySerializer(many=True)
    value_low_usd = serializers.IntegerField(allow_null=True, min_value=0)
    value_high_usd = serializers.IntegerField(allow_null=True, min_value=0)
    capacity_mw = serializers.FloatField(allow_null=True, min_value=0)
    capacity_chips = serializers.IntegerField(allow_null=True, min_value=0)
    risk_index = serializers.FloatField(allow_null=True, min_value=0, max_value=100)
    risk_band = serializers.CharField(allow_blank=True)
    classification = serializers.CharField(allow_blank=True)
    rubric = serializers.SlugField(allow_null=True)
    rubric_version = serializers.IntegerField(allow_null=True)
    evaluation_version = serializers.IntegerField(allow_null=True)
    first_published_at = serializers.DateTimeField(allow_null=True)
    scores_quoted = serializers.IntegerField(min_value=0, help_text="Scores resting on a quoted passage of a source.")
    scores_source_only = serializers.IntegerField(min_value=0, help_text="Scores resting on a source, no quote.")
    scores_uncited = serializers.IntegerField(min_value=0, help_text="Scores resting on nothing cited.")


def _export_rows() -> Iterator[dict]:
    """The whole published archive, one dict per case, read in chunks.

    Plain values, no model instances (building 130,000 of them cost more than
    everything else): the cases through a server-side cursor (``iterator``),
    and each chunk's deal types, tags and parties in three queries, so memory
    stays flat however many cases.
    """
    cases = Case.objects.published().order_by("pk").values_list(*_EXPORT_COLUMNS)
    chunk: list[tuple] = []
    for row in cases.iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(row)
        if len(chunk) == EXPORT_CHUNK:
            yield from _export_chunk(chunk)
            chunk = []
    yield from _export_chunk(chunk)


def _evidence_counts(case_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per case, how many scores of its published analysis rest on a quote, a source or nothing (one query)."""
    anchored = Citation.objects.filter(score=OuterRef("pk"), orphaned=False)
    cited = Citation.objects.filter(score=OuterRef("pk"))
    linked = Score.sources.through.objects.filter(score_id=OuterRef("pk"))
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys((QUOTED, SOURCE, NOTHING), 0))
    rows = (
        Score.objects.filter(version__case_id__in=case_ids, version__state=EvaluationVersion.State.PUBLISHED)
        .annotate(quoted=Exists(anchored), cited=Exists(cited), linked=Exists(linked))
        .values_list("version__case_id", "quoted", "cited", "linked")
    )
    for case_id, quoted, any_quote, any_source in rows:
        counts[case_id][QUOTED if quoted else SOURCE if any_quote or any_source else NOTHING] += 1
    return counts


def _export_chunk(rows: list[tuple]) -> Iterator[dict]:
    if not rows:
        return
    ids = [row[0] for row in rows]
    deal_types: dict[int, list[str]] = defaultdict(list)
    for case_id, slug in DealType.objects.filter(cases__in=ids).order_by("name", "pk").values_list("cases", "slug"):
        deal_types[case_id].append(slug)
    tags: dict[int, list[str]] = defaultdict(list)
    for case_id, name in Tag.objects.filter(cases__in=ids).order_by("name", "pk").values_list("cases", "name"):
        tags[case_id].append(name)
    parties: dict[int, list[dict]] = defaultdict(list)
    for case_id, organization, role in (
        Party.objects.filter(case_id__in=ids)
        .order_by("position", "id")
        .values_list("case_id", "organization__slug", "role")
    ):
        parties[case_id].append({"organization": organization, "role": role})
    evidence = _evidence_counts(ids)
    for (pk, slug, title, announced_on, low, high, mw, chips, risk_index, risk_band, classification, rubric,
         rubric_version, evaluation_version, first_published_at) in rows:  # fmt: skip
        yield {
            "slug": slug,
            "title": title,
            "announced_on": announced_on,
            "deal_types": deal_types[pk],
            "tags": tags[pk],
            "parties": parties[pk],
            "value_low_usd": low,
            "value_high_usd": high,
            "capacity_mw": _number(mw),
            "capacity_chips": chips,
            "risk_index": _number(risk_index),
            "risk_band": risk_band or "",
            "classification": classification or "",
            "rubric": rubric,
            "rubric_version": rubric_version,
            "evaluation_version": evaluation_version,
            "first_published_at": _TIMESTAMP.to_representation(first_published_at) if first_published_at else None,
            "scores_quoted": evidence[pk][QUOTED],
            "scores_source_only": evidence[pk][SOURCE],
            "scores_uncited": evidence[pk][NOTHING],
        }


# OWASP's rule for CSV injection: a cell a spreadsheet would read as a formula starts with a quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value):
    """The value as a CSV cell no spreadsheet runs: text starting like a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_lines() -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: list) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(EXPORT_FIELDS)
    for row in _export_rows():
        row["deal_types"] = ";".join(row["deal_types"])
        row["tags"] = ";".join(row["tags"])
        row["parties"] = ";".join(f"{p['organization']}:{p['role']}" for p in row["parties"])
        yield line(["" if row[name] is None else _csv_cell(row[name]) for name in EXPORT_FIELDS])


def _json_chunks() -> Iterator[str]:
    yield "["
    first = True
    for row in _export_rows():
        yield ("\n" if first else ",\n") + json.dumps(row, cls=DjangoJSONEncoder)
        first = False
    yield "\n]\n"


class ExportView(APIView):
    def perform_content_negotiation(self, request: Request, force: bool = False):
        # The body is CSV or JSON whatever the Accept header says; errors are JSON.
        return super().perform_content_negotiation(request, force=True)


class ExportCsvView(ExportView):
    @extend_schema(
        operation_id="export_cases_csv",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per published case."),
            **errors(401, 429),
        },
        description="The whole published archive as CSV, streamed. Lists are joined with `;`, "
        "parties as `organization:role`.",
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        response = StreamingHttpResponse(_csv_lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="moatwatch-cases.csv"'
        return response


class ExportJsonView(ExportView):
    @extend_schema(
        operation_id="export_cases_json",
        responses={
            (200, "application/json"): OpenApiResponse(
                ExportCaseSerializer(many=True), description="A JSON array, one object per published case."
            ),
            **errors(401, 429),
        },
        description="The whole published archive as a JSON array, streamed.",
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        response = StreamingHttpResponse(_json_chunks(), content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="moatwatch-cases.json"'
        return response
