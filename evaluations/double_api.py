"""/api/v1/ endpoints for independent double scoring and the rubric's agreement figures.

Writes call evaluations.services.double_scoring (which checks the policy table); reads
come from evaluations.double_reads, which applies the blind rule: before both editors have
submitted, each sees only their own scores, and nobody else sees either.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import Case
from core.api import errors
from core.types import AuthenticatedApiRequest
from evaluations import double_reads, policy
from evaluations.agreement import rubric_version_agreement
from evaluations.double_serializers import (
    AgreementSerializer,
    DoubleScoringRequestSerializer,
    DoubleScoringSerializer,
    RawSheetSerializer,
    SettleSerializer,
)
from evaluations.models import EvaluationVersion, Reconciliation, RubricVersion
from evaluations.services import double_scoring as services


def _newsroom_version(request: Request, pk: int) -> EvaluationVersion:
    versions = (
        EvaluationVersion.objects.all()
        if policy.may_see_drafts(request.user, "version")
        else EvaluationVersion.objects.public()
    )
    return get_object_or_404(versions.select_related("case", "evaluation__rubric_version"), pk=pk)


def _view_response(request: Request, version: EvaluationVersion, status_code: int = 200) -> Response:
    view = double_reads.double_view(version, request.user)
    if view is None:
        return Response({"detail": "This version is not scored independently by two editors."}, status=404)
    return Response(DoubleScoringSerializer(view).data, status=status_code)


def _user_named(field: str, username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise ValidationError({field: ["no such user"]})
    return user


class DoubleScoringView(APIView):
    @extend_schema(
        operation_id="evaluation_versions_double_scoring_retrieve",
        responses={200: DoubleScoringSerializer, **errors(401, 404, 429)},
        description="A version's independent double scoring as you may see it: before both editors have "
        "submitted, each sees only their own raw scores (the other's are null) and nobody else sees either.",
    )
    def get(self, request: Request, pk: int) -> Response:
        return _view_response(request, _newsroom_version(request, pk))

    @extend_schema(
        operation_id="evaluation_versions_double_scoring_create",
        request=DoubleScoringRequestSerializer,
        responses={201: DoubleScoringSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Mark a draft for independent double scoring by two editors. Reviewers.",
    )
    def post(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        version = _newsroom_version(request, pk)
        policy.check(request.user, "double_scoring.request")
        serializer = DoubleScoringRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.double_scoring_request(
            version=version,
            by=request.user,
            first_scorer=_user_named("first_scorer", serializer.validated_data["first_scorer"]),
            second_scorer=_user_named("second_scorer", serializer.validated_data["second_scorer"]),
        )
        return _view_response(request, version, status_code=201)


class DoubleScoringSubmitView(APIView):
    @extend_schema(
        operation_id="evaluation_versions_double_scoring_submit",
        request=RawSheetSerializer,
        responses={200: DoubleScoringSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Submit your own complete set of scores (every criterion for every party), once. "
        "One of the two editors named.",
    )
    def post(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        version = _newsroom_version(request, pk)
        policy.check(request.user, "double_scoring.submit")
        serializer = RawSheetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scores = [
            services.RawScoreInput(s["criterion"], s["party_id"], s["value"])
            for s in serializer.validated_data["scores"]
        ]
        services.double_scoring_submit(version=version, by=request.user, scores=scores)
        return _view_response(request, version)


class DoubleScoringSettleView(APIView):
    @extend_schema(
        operation_id="evaluation_versions_double_scoring_settle",
        request=SettleSerializer,
        responses={200: DoubleScoringSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Settle one difference of more than one point with a value and a note. "
        "A reviewer or one of the two editors.",
    )
    def post(self, request: AuthenticatedApiRequest, pk: int, difference: int) -> Response:
        version = _newsroom_version(request, pk)
        policy.check(request.user, "double_scoring.settle")
        reconciliation = get_object_or_404(Reconciliation, pk=difference, version=version)
        serializer = SettleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.double_scoring_settle(reconciliation=reconciliation, by=request.user, **serializer.validated_data)
        return _view_response(request, version)


class CaseVersionDoubleScoringView(APIView):
    @extend_schema(
        operation_id="cases_versions_double_scoring_retrieve",
        responses={200: DoubleScoringSerializer, **errors(401, 404, 429)},
        description="How a published (or superseded) version was scored independently by two editors: "
        "both raw scores and the settled one, with each settled difference's note. 404 when it was not.",
    )
    def get(self, request: Request, slug: str, number: int) -> Response:
        case = get_object_or_404(Case.objects.published(), slug=slug)
        version = get_object_or_404(EvaluationVersion.objects.public().filter(case=case), number=number)
        view = double_reads.double_view(version, None)
        if view is None:
            return Response({"detail": "This version was not scored independently by two editors."}, status=404)
        return Response(DoubleScoringSerializer(view).data)


class RubricVersionAgreementView(APIView):
    @extend_schema(
        operation_id="rubrics_versions_agreement_retrieve",
        responses={200: AgreementSerializer, **errors(401, 404, 429)},
        description="How consistently two editors score under this rubric version: Krippendorff's alpha for "
        "ordinal data, overall and per criterion, from the published cases scored independently twice.",
    )
    def get(self, request: Request, slug: str, number: int) -> Response:
        version = get_object_or_404(
            RubricVersion.objects.exclude(status=RubricVersion.Status.DRAFT), rubric__slug=slug, number=number
        )
        return Response(AgreementSerializer(rubric_version_agreement(version)).data)
