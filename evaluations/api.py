"""The REST API of evaluations and rubrics: public history, the review workflow, rubric versions.

Every write calls the same service the desk calls; the service checks the
permission and the state, and core.api.exception_handler turns its errors
into 400/403/409/412.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import cache_keys
from cases import selectors as case_selectors
from cases.api import case_for
from cases.filters import ChangelogFilter
from cases.models import Case
from core.api import (
    ConditionalGetMixin,
    CursorPagination,
    HasPermission,
    errors,
    expected_lock_from_if_match,
    links,
    page_etag,
)
from core.http import absolute_url
from core.types import AuthenticatedApiRequest
from evaluations import policy, rubric_impact, selectors
from evaluations.compare import compare_versions
from evaluations.models import EvaluationVersion, Revision, Rubric, RubricVersion
from evaluations.selectors import criteria_prefetch, revisions_prefetch, versions_with_content
from evaluations.serializers import (
    ActivationImpactSerializer,
    ChangelogEntrySerializer,
    CompareQuerySerializer,
    ComparisonSerializer,
    EvaluationVersionSerializer,
    EvaluationVersionWriteSerializer,
    PublishSerializer,
    RebaseSerializer,
    RescheduleSerializer,
    RevisionLineSerializer,
    RevisionSerializer,
    RubricSerializer,
    RubricVersionActivatedSerializer,
    RubricVersionCreateSerializer,
    RubricVersionLineSerializer,
    RubricVersionSerializer,
    RubricVersionsQuerySerializer,
    RubricVersionUpdateSerializer,
    SendBackSerializer,
    SubmitSerializer,
    TwoRubricVersionsSerializer,
    UnscheduleSerializer,
    VersionSummarySerializer,
)
from evaluations.services import rebase, rubric_versions, scheduling, workflow

# --- Evaluation versions ---------------------------------------------------------------

IF_MATCH = OpenApiParameter(
    "If-Match",
    location=OpenApiParameter.HEADER,
    required=True,
    description='The ETag of the version as you loaded it (`"ev<id>-<lock>"`). Missing: 428. Stale: 412.',
)


def _with_content(versions: QuerySet[EvaluationVersion]) -> QuerySet[EvaluationVersion]:
    """Versions with what their representation shows, in a fixed number of queries."""
    return versions_with_content(versions).select_related("case", "author").prefetch_related(revisions_prefetch())


def version_for(request: Request, pk: int) -> EvaluationVersion:
    """The version if this user may see it; drafts and versions in review are 404 to readers."""
    versions = (
        EvaluationVersion.objects.all()
        if policy.may_see_drafts(request.user, "version")
        else EvaluationVersion.objects.public()
    )
    return get_object_or_404(_with_content(versions), pk=pk)


def version_response(request: Request, version: EvaluationVersion, *, status_code: int = 200) -> Response:
    """A version with its ETag, re-read so that it shows what the database now holds."""
    version = _with_content(EvaluationVersion.objects.all()).get(pk=version.pk)
    data = EvaluationVersionSerializer(version, context={"request": request}).data
    return Response(data, status=status_code, headers={"ETag": version.etag})


def version_action(
    request: AuthenticatedApiRequest,
    version: EvaluationVersion,
    body: type[serializers.Serializer],
    service: Callable[..., EvaluationVersion],
) -> Response:
    """Run a state change on ``version`` with the request's body (validated by ``body``, passed to
    ``service`` by name) and answer with the version. Refusals are not caught here: as for every API
    view, core.api.exception_handler answers them (ValidationError 400 with the fields,
    PermissionDenied 403, TransitionNotAllowed 409)."""
    serializer = body(data=request.data)
    serializer.is_valid(raise_exception=True)
    return version_response(request, service(version=version, by=request.user, **serializer.validated_data))


class CaseEvaluationStartView(APIView):
    @extend_schema(
        operation_id="cases_evaluations_create",
        request=None,
        responses={201: EvaluationVersionSerializer, **errors(401, 403, 404, 409, 429)},
        description="Start a draft version under the active rubric, prefilled from the published one. "
        "409 when the case already has a version in the works. Editors.",
        extensions=links(
            201,
            GetVersion=("evaluation_versions_retrieve", {"id": "$response.body#/id"}),
            EditVersion=(
                "evaluation_versions_partial_update",
                {"id": "$response.body#/id", "header.If-Match": "$response.header.ETag"},
            ),
            SubmitVersion=("evaluation_versions_submit", {"id": "$response.body#/id"}),
            ListRevisions=("evaluation_versions_revisions_list", {"id": "$response.body#/id"}),
        ),
    )
    def post(self, request: AuthenticatedApiRequest, slug: str) -> Response:
        case = case_for(request, slug)
        version = workflow.evaluation_version_start(case=case, by=request.user)
        response = version_response(request, version, status_code=status.HTTP_201_CREATED)
        response["Location"] = absolute_url(reverse("api:version", kwargs={"pk": version.pk}))
        return response


class EvaluationVersionView(ConditionalGetMixin, APIView):
    def etag_validator(self, request: Request, **kwargs) -> str | None:
        return selectors.public_version_etag(kwargs["pk"])

    @extend_schema(
        operation_id="evaluation_versions_retrieve",
        responses={200: EvaluationVersionSerializer, **errors(304, 401, 404, 429)},
        description="A version by id. Drafts, versions in review and scheduled ones are visible to the "
        "newsroom only (404 to everyone else). The ETag header is what a PATCH sends back in If-Match.",
    )
    def get(self, request: Request, pk: int) -> Response:
        version = version_for(request, pk)
        return Response(
            EvaluationVersionSerializer(version, context={"request": request}).data, headers={"ETag": version.etag}
        )

    @extend_schema(
        operation_id="evaluation_versions_partial_update",
        parameters=[IF_MATCH],
        request=EvaluationVersionWriteSerializer,
        responses={200: EvaluationVersionSerializer, **errors(400, 401, 403, 404, 409, 412, 428, 429)},
        description="Edit a draft: `narrative` (Markdown), `scores`, `annotations` and `facts` (a list given "
        "replaces the list held; `facts` of a published case are published with the version). "
        "Requires If-Match: 428 without it, 412 if someone saved since. Editors.",
        extensions=links(
            200,
            EditAgain=(
                "evaluation_versions_partial_update",
                {"id": "$response.body#/id", "header.If-Match": "$response.header.ETag"},
            ),
            SubmitVersion=("evaluation_versions_submit", {"id": "$response.body#/id"}),
        ),
    )
    def patch(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        version = version_for(request, pk)
        expected_lock = expected_lock_from_if_match(request, pk=version.pk)
        serializer = EvaluationVersionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        party_ids: dict[str, dict[str, int]] = {}
        for party in version.case.parties.select_related("organization"):
            party_ids.setdefault(party.organization.slug, {})[party.role] = party.pk
        version = workflow.evaluation_version_save(
            version=version, by=request.user, expected_lock=expected_lock, **serializer.to_kwargs(party_ids)
        )
        return version_response(request, version)


class EvaluationVersionSubmitView(APIView):
    @extend_schema(
        operation_id="evaluation_versions_submit",
        request=SubmitSerializer,
        responses={200: EvaluationVersionSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Submit a draft for review. 400 with `checklist` (a list of what is missing: criteria "
        "not scored, per party; margin notes whose passage is gone; rationales parked without a score) while the "
        "draft is incomplete, or if it has "
        "no scores; 409 unless it is a draft. Editors.",
        extensions=links(
            200,
            PublishVersion=("evaluation_versions_publish", {"id": "$response.body#/id"}),
            SendBackVersion=("evaluation_versions_send_back", {"id": "$response.body#/id"}),
        ),
    )
    def post(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        return version_action(request, version_for(request, pk), SubmitSerializer, workflow.evaluation_version_submit)


class EvaluationVersionSendBackView(APIView):
    @extend_schema(
        operation_id="evaluation_versions_send_back",
        request=SendBackSerializer,
        responses={200: EvaluationVersionSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Send a version in review (or scheduled) back to its author with a comment. Reviewers.",
    )
    def post(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        return version_action(
            request, version_for(request, pk), SendBackSerializer, workflow.evaluation_version_send_back
        )


class EvaluationVersionPublishView(APIView):
    @extend_schema(
        operation_id="evaluation_versions_publish",
        request=PublishSerializer,
        responses={200: EvaluationVersionSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Approve a version in review: published now, or scheduled when `publish_at` is in the "
        "future. 403 for anyone who saved part of it (its `contributors`), 409 unless it is in review. Reviewers.",
    )
    def post(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        return version_action(request, version_for(request, pk), PublishSerializer, workflow.evaluation_version_approve)


class EvaluationVersionRebaseView(APIView):
    @extend_schema(
        operation_id="evaluation_versions_rebase",
        parameters=[IF_MATCH],
        request=None,
        responses={200: RebaseSerializer, **errors(401, 403, 404, 409, 412, 428, 429)},
        description="Move a draft started under a retired rubric version onto the active one: scores carry "
        "over by criterion key; `to_score` lists the criteria the active version adds. 409 unless it is a "
        "draft under a version that is no longer active. Requires If-Match. Editors.",
    )
    def post(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        version = version_for(request, pk)
        expected_lock = expected_lock_from_if_match(request, pk=version.pk)
        result = rebase.evaluation_version_rebase(version=version, by=request.user, expected_lock=expected_lock)
        moved = _with_content(EvaluationVersion.objects.all()).get(pk=version.pk)
        data = RebaseSerializer(
            {
                "from_number": result.from_number,
                "to_number": result.to_number,
                "carried": result.carried,
                "dropped": result.dropped,
                "to_score": result.to_score,
                "version": moved,
            },
            context={"request": request},
        ).data
        return Response(data, headers={"ETag": moved.etag})


# --- A version's revisions: the newsroom's record of every save ---------------------------


def _revisions_of(request: Request, pk: int) -> EvaluationVersion:
    """The version, if this user may read its revisions: the newsroom only, whatever its state
    (a revision is work in progress even when the version it led to is published)."""
    if not policy.may_see_drafts(request.user, "version"):
        raise Http404("No such version.")
    return get_object_or_404(EvaluationVersion.objects.all(), pk=pk)


class RevisionListView(ConditionalGetMixin, APIView):
    @extend_schema(
        operation_id="evaluation_versions_revisions_list",
        responses={200: RevisionLineSerializer(many=True), **errors(304, 401, 404, 429)},
        description="A version's kept saves, oldest first: `number`, `saved_by` (username), `saved_at`, what "
        "changed, and the revision a restore put back. The newsroom only (404 to everyone else).",
        extensions=links(
            200,
            GetRevision=(
                "evaluation_versions_revisions_retrieve",
                {"id": "$request.path.id", "number": "$response.body#/0/number"},
            ),
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        version = _revisions_of(request, pk)
        revisions = Revision.objects.filter(version=version).select_related("saved_by").defer("content")
        return Response(RevisionLineSerializer(revisions.order_by("number"), many=True).data)


class RevisionDetailView(ConditionalGetMixin, APIView):
    @extend_schema(
        operation_id="evaluation_versions_revisions_retrieve",
        responses={200: RevisionSerializer, **errors(304, 401, 404, 429)},
        description="One revision's content: narrative, verdict, change note, scores and margin notes as that "
        "save left them. The newsroom only (404 to everyone else).",
    )
    def get(self, request: Request, pk: int, number: int) -> Response:
        version = _revisions_of(request, pk)
        revision = get_object_or_404(Revision.objects.select_related("saved_by"), version=version, number=number)
        return Response(RevisionSerializer(revision).data)


class EvaluationVersionRescheduleView(APIView):
    @extend_schema(
        operation_id="evaluation_versions_reschedule",
        request=RescheduleSerializer,
        responses={200: EvaluationVersionSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Move a scheduled version to another time still to come (400 for a time past; 409 unless "
        "it is scheduled; 403 for a reviewer's own work). Reviewers.",
    )
    def post(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        return version_action(
            request, version_for(request, pk), RescheduleSerializer, scheduling.evaluation_version_reschedule
        )


class EvaluationVersionUnscheduleView(APIView):
    @extend_schema(
        operation_id="evaluation_versions_unschedule",
        request=UnscheduleSerializer,
        responses={200: EvaluationVersionSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Take a scheduled version off the schedule: it goes back to in review, unchanged, until "
        "approved again (409 unless it is scheduled). Reviewers.",
    )
    def post(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        return version_action(
            request, version_for(request, pk), UnscheduleSerializer, scheduling.evaluation_version_unschedule
        )


# --- A case's public history ---------------------------------------------------------------


def _public_versions(case: Case) -> QuerySet[EvaluationVersion]:
    return EvaluationVersion.objects.public().filter(case=case)


class CaseVersionListView(ConditionalGetMixin, APIView):
    def etag_validator(self, request: Request, **kwargs) -> str | None:
        return selectors.case_versions_etag(kwargs["slug"])

    @extend_schema(
        operation_id="cases_versions_list",
        responses={200: VersionSummarySerializer(many=True), **errors(304, 401, 404, 429)},
        description="A case's published and superseded versions, newest first.",
    )
    def get(self, request: Request, slug: str) -> Response:
        case = get_object_or_404(Case.objects.published(), slug=slug)
        versions = _public_versions(case).select_related("evaluation__rubric_version").order_by("-number")
        return Response(VersionSummarySerializer(versions, many=True).data)


class CaseVersionDetailView(ConditionalGetMixin, APIView):
    def etag_validator(self, request: Request, **kwargs) -> str | None:
        return selectors.case_version_etag(kwargs["slug"], kwargs["number"])

    @extend_schema(
        operation_id="cases_versions_retrieve",
        responses={200: EvaluationVersionSerializer, **errors(304, 401, 404, 429)},
        description="One published or superseded version of a case.",
    )
    def get(self, request: Request, slug: str, number: int) -> Response:
        case = get_object_or_404(Case.objects.published(), slug=slug)
        version = get_object_or_404(_with_content(_public_versions(case)), number=number)
        return Response(
            EvaluationVersionSerializer(version, context={"request": request}).data, headers={"ETag": version.etag}
        )


class CaseVersionCompareView(ConditionalGetMixin, APIView):
    def etag_validator(self, request: Request, **kwargs) -> str | None:
        query = CompareQuerySerializer(data=request.query_params)
        if not query.is_valid():
            return None  # answered as it would be: a 400
        return selectors.public_comparison_etag(kwargs["slug"], query.validated_data["a"], query.validated_data["b"])

    @extend_schema(
        operation_id="cases_versions_compare",
        parameters=[CompareQuerySerializer],
        responses={200: ComparisonSerializer, **errors(304, 400, 401, 404, 429)},
        description="Two public versions compared: scores side by side, the narrative as a word diff.",
    )
    def get(self, request: Request, slug: str) -> Response:
        query = CompareQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        case = get_object_or_404(Case.objects.published(), slug=slug)
        numbers = list(query.validated_data.values())
        versions = {v.number: v for v in _with_content(_public_versions(case)).filter(number__in=numbers)}
        a, b = (versions.get(query.validated_data[name]) for name in ("a", "b"))
        if a is None or b is None:
            return Response({"detail": "No such published version."}, status=status.HTTP_404_NOT_FOUND)
        return Response(ComparisonSerializer(compare_versions(a, b)).data)


# --- The changelog -------------------------------------------------------------------------


class ChangelogPagination(CursorPagination):
    ordering = ("-published_at",)


class ChangelogView(ConditionalGetMixin, generics.GenericAPIView):
    """What changed in our assessments: the reader page's entries, filtered and paged the same way."""

    serializer_class = ChangelogEntrySerializer
    filterset_class = ChangelogFilter
    pagination_class = ChangelogPagination

    def get_queryset(self) -> QuerySet[EvaluationVersion]:
        return case_selectors.changelog_versions()

    @extend_schema(
        operation_id="changelog_list",
        responses={200: ChangelogEntrySerializer(many=True), **errors(304, 400, 401, 404, 429)},
        description="Every published version after a case's first, newest first: its kind (correction, update, "
        "re-evaluation under a new rubric version), its note, the scores that moved, and the risk index and "
        "classification before and after. Filter by `organization` (slug), `case` (slug), `since` and `until` "
        "(dates of publication). A bad filter value is 400.",
    )
    def get(self, request: Request) -> Response:
        # As the case list: the page's one query (with each version's case), each entry from the
        # cache keyed on what it shows (the version's lock and state, its case's updated_at: an
        # organization's rename touches it), only the missing ones built; the ETag is the keys and links.
        versions = self.filter_queryset(self.get_queryset()).select_related("case")
        page = self.paginate_queryset(versions) or []
        keys = [
            f"changelog:entry:v1:{v.pk}:{v.lock_version}:{v.state}:{cache_keys.stamp(v.case.updated_at)}" for v in page
        ]
        cached = cache.get_many(keys) if keys else {}
        misses = [v for v, key in zip(page, keys, strict=True) if key not in cached]
        if misses:
            entries = self.get_serializer(case_selectors.changelog_entries(misses), many=True).data
            fresh = {key: entry for key, entry in zip((k for k in keys if k not in cached), entries, strict=True)}
            cache.set_many(fresh, cache_keys.ROW_TIMEOUT)
            cached.update(fresh)
        response = self.get_paginated_response([cached[key] for key in keys])
        response["ETag"] = page_etag("chg", keys, response.data)
        return response


# --- Rubrics --------------------------------------------------------------------------------


def _visible_rubric_versions(request: Request) -> QuerySet[RubricVersion]:
    versions = RubricVersion.objects.all()
    if not policy.may_see_drafts(request.user, "rubric_version"):
        versions = versions.exclude(status=RubricVersion.Status.DRAFT)
    return versions


class RubricListView(ConditionalGetMixin, APIView):
    def etag_validator(self, request: Request, **kwargs) -> str | None:
        return selectors.public_rubrics_etag()

    @extend_schema(
        operation_id="rubrics_list",
        responses={200: RubricSerializer(many=True), **errors(304, 401, 429)},
        description="Rubrics and their versions (drafts only for admins).",
    )
    def get(self, request: Request) -> Response:
        versions = _visible_rubric_versions(request).order_by("-number")
        rubrics = Rubric.objects.prefetch_related(Prefetch("versions", queryset=versions, to_attr="visible_versions"))
        return Response(RubricSerializer(rubrics, many=True).data)


class RubricVersionListView(ConditionalGetMixin, APIView):
    permission_classes = [HasPermission]
    required_permission = policy.permission("rubric_version.create")

    def etag_validator(self, request: Request, **kwargs) -> str | None:
        return selectors.public_rubric_versions_etag(kwargs["slug"])

    @extend_schema(
        operation_id="rubrics_versions_list",
        responses={200: RubricVersionLineSerializer(many=True), **errors(304, 401, 404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        rubric = get_object_or_404(Rubric, slug=slug)
        versions = _visible_rubric_versions(request).filter(rubric=rubric).order_by("-number")
        return Response(RubricVersionLineSerializer(versions, many=True).data)

    @extend_schema(
        operation_id="rubrics_versions_create",
        request=RubricVersionCreateSerializer,
        responses={201: RubricVersionSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Create a draft version from a body shaped like rubric_v1.json's `version` and `criteria`. Admins.",
        extensions=links(
            201,
            GetRubricVersion=(
                "rubrics_versions_retrieve",
                {"slug": "$request.path.slug", "number": "$response.body#/number"},
            ),
            EditRubricVersion=(
                "rubrics_versions_partial_update",
                {"slug": "$request.path.slug", "number": "$response.body#/number"},
            ),
            ActivateRubricVersion=(
                "rubrics_versions_activate",
                {"slug": "$request.path.slug", "number": "$response.body#/number"},
            ),
        ),
    )
    def post(self, request: AuthenticatedApiRequest, slug: str) -> Response:
        rubric = get_object_or_404(Rubric, slug=slug)
        serializer = RubricVersionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = rubric_versions.rubric_version_create(rubric=rubric, data=serializer.to_data(), by=request.user)
        return _rubric_version_response(version, status_code=status.HTTP_201_CREATED)


def _rubric_version_response(version: RubricVersion, *, status_code: int = 200) -> Response:
    version = RubricVersion.objects.select_related("rubric").prefetch_related(criteria_prefetch()).get(pk=version.pk)
    return Response(RubricVersionSerializer(version).data, status=status_code)


def _rubric_version_for(request: Request, slug: str, number: int) -> RubricVersion:
    return get_object_or_404(_visible_rubric_versions(request), rubric__slug=slug, number=number)


class RubricVersionDetailView(ConditionalGetMixin, APIView):
    permission_classes = [HasPermission]
    required_permission = policy.permission("rubric_version.edit")

    def etag_validator(self, request: Request, **kwargs) -> str | None:
        return selectors.public_rubric_version_etag(kwargs["slug"], kwargs["number"])

    @extend_schema(
        operation_id="rubrics_versions_retrieve",
        responses={200: RubricVersionSerializer, **errors(304, 401, 404, 429)},
        description="A rubric version with its criteria (drafts only for admins).",
    )
    def get(self, request: Request, slug: str, number: int) -> Response:
        return _rubric_version_response(_rubric_version_for(request, slug, number))

    @extend_schema(
        operation_id="rubrics_versions_partial_update",
        request=RubricVersionUpdateSerializer,
        responses={200: RubricVersionSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Edit a draft, in the create body's shape: the `version` fields given change (changelog, "
        "scale, families, classification; not the number), the others stay; `criteria`, when given, replaces "
        "the draft's whole list. Validated as a new version is; nothing is written on a 400. 409 once active. Admins.",
    )
    def patch(self, request: AuthenticatedApiRequest, slug: str, number: int) -> Response:
        version = _rubric_version_for(request, slug, number)
        serializer = RubricVersionUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = rubric_versions.rubric_version_update_draft(
            version=version, by=request.user, data=serializer.to_data()
        )
        return _rubric_version_response(version)


class RubricVersionActivateView(APIView):
    permission_classes = [HasPermission]
    required_permission = policy.permission("rubric_version.activate")

    @extend_schema(
        operation_id="rubrics_versions_activate",
        request=None,
        responses={200: RubricVersionActivatedSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Activate a draft version, retiring the active one; every affected risk summary is "
        "recomputed by the workers. 409 unless it is a draft. Admins.",
    )
    def post(self, request: AuthenticatedApiRequest, slug: str, number: int) -> Response:
        version = _rubric_version_for(request, slug, number)
        version, impact = rubric_versions.rubric_version_activate_reporting(version=version, by=request.user)
        version = RubricVersion.objects.prefetch_related(criteria_prefetch()).get(pk=version.pk)
        return Response(RubricVersionActivatedSerializer(version, context={"impact": impact}).data)


class RubricVersionImpactView(APIView):
    permission_classes = [HasPermission]
    required_permission = policy.permission("rubric_version.activate")

    @extend_schema(
        operation_id="rubrics_versions_activation_impact",
        responses={200: ActivationImpactSerializer, **errors(401, 403, 404, 409, 429)},
        description="What activating this draft would do, to confirm before activating: how many published cases "
        "will need re-evaluation, the largest changes in risk index (re-scored by the engine on the scores the "
        "crosswalk carries), and what it cannot carry. 409 unless it is a draft. Admins.",
    )
    def get(self, request: AuthenticatedApiRequest, slug: str, number: int) -> Response:
        version = _rubric_version_for(request, slug, number)
        policy.check(request.user, "rubric_version.activate", version)
        return Response(ActivationImpactSerializer(rubric_impact.activation_impact(version)).data)


class CaseRubricVersionsView(APIView):
    @extend_schema(
        operation_id="cases_rubric_versions",
        parameters=[RubricVersionsQuerySerializer],
        responses={200: TwoRubricVersionsSerializer, **errors(400, 401, 404, 429)},
        description="A published case's analysis under two rubric versions (`a`, `b`; by default the one it was "
        "scored under and the active one): figures, classification, and each score given, carried through the "
        "crosswalk, or missing. Active and retired rubric versions only: a draft's number is 404.",
    )
    def get(self, request: Request, slug: str) -> Response:
        query = RubricVersionsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        case = get_object_or_404(Case.objects.published(), slug=slug)
        try:
            view = rubric_impact.case_two_rubric_versions(
                case, query.validated_data.get("a"), query.validated_data.get("b")
            )
        except rubric_impact.NotComparable:
            return Response({"detail": "No such published rubric version."}, status=status.HTTP_404_NOT_FOUND)
        return Response(TwoRubricVersionsSerializer(view).data)
