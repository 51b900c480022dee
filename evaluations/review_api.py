"""/api/v1/ endpoints of the review loop, the newsroom only (404 to everyone else): a version's
private review comments (list, create, reply, resolve), its reviewers, withdraw and discard.
Every write calls evaluations.services.review, which checks the policy."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import errors
from core.types import AuthenticatedApiRequest
from evaluations import policy, selectors
from evaluations.api import version_action
from evaluations.models import EvaluationVersion, ReviewComment
from evaluations.serializers import (
    EvaluationVersionSerializer,
    ReviewAssignmentSerializer,
    ReviewAssignSerializer,
    ReviewCommentSerializer,
    ReviewReplySerializer,
    SubmitSerializer,
)
from evaluations.services import review


def _newsroom_version(request: Request, pk: int) -> EvaluationVersion:
    """The version, for the newsroom; everyone else is told there is no such thing."""
    if not policy.is_newsroom(request.user):
        raise Http404("No such version.")
    return get_object_or_404(EvaluationVersion.objects.select_related("evaluation__rubric_version"), pk=pk)


def _threads(version: EvaluationVersion) -> list[ReviewComment]:
    selectors.version_review_load(version)
    threads = []
    for thread in selectors.review_threads(version):
        thread.comment.reply_list = thread.replies  # type: ignore[attr-defined]
        threads.append(thread.comment)
    return threads


def _thread(version: EvaluationVersion, comment_pk: int) -> ReviewComment:
    for comment in _threads(version):
        if comment.pk == comment_pk:
            return comment
    raise Http404("No such comment thread.")


class ReviewCommentListView(APIView):
    @extend_schema(
        operation_id="evaluation_versions_comments_list",
        responses={200: ReviewCommentSerializer(many=True), **errors(401, 404, 429)},
        description="A version's private review comment threads, unresolved first, each with its replies. "
        "The newsroom only (404 to everyone else); never part of any public representation.",
    )
    def get(self, request: Request, pk: int) -> Response:
        version = _newsroom_version(request, pk)
        return Response(ReviewCommentSerializer(_threads(version), many=True).data)

    @extend_schema(
        operation_id="evaluation_versions_comments_create",
        request=ReviewCommentSerializer,
        responses={201: ReviewCommentSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Start a private comment thread on a passage (`quote`: exact words of the narrative), on a "
        "score (`criterion`, with `organization` for a per-party criterion), or on the whole version. "
        "409 unless the version is a draft or in review. While a thread is unresolved the version cannot be "
        "approved. The newsroom.",
    )
    def post(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        version = _newsroom_version(request, pk)
        serializer = ReviewCommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        slug = (data.get("party") or {}).get("organization", {}).get("slug")
        party_id = None
        if slug:
            party_id = version.case.parties.filter(organization__slug=slug).values_list("pk", flat=True).first()
            if party_id is None:
                raise ValidationError({"organization": ["that organization is not a party to this case"]})
        comment = review.review_comment_create(
            version=version,
            by=request.user,
            body=data["body"],
            quote=data["quote"],
            criterion_key=(data.get("criterion") or {}).get("key", ""),
            party_id=party_id,
        )
        return Response(ReviewCommentSerializer(_thread(version, comment.pk)).data, status=status.HTTP_201_CREATED)


class ReviewCommentReplyView(APIView):
    @extend_schema(
        operation_id="evaluation_versions_comments_reply",
        request=ReviewReplySerializer,
        responses={201: ReviewCommentSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Reply to an unresolved thread (409 once it is resolved); answers with the whole thread. "
        "The newsroom.",
    )
    def post(self, request: AuthenticatedApiRequest, pk: int, comment_pk: int) -> Response:
        version = _newsroom_version(request, pk)
        parent = _thread(version, comment_pk)
        serializer = ReviewReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review.review_comment_create(
            version=version, by=request.user, body=serializer.validated_data["body"], parent=parent
        )
        thread = _thread(_newsroom_version(request, pk), comment_pk)  # read again, with the reply
        return Response(ReviewCommentSerializer(thread).data, status=status.HTTP_201_CREATED)


class ReviewCommentResolveView(APIView):
    @extend_schema(
        operation_id="evaluation_versions_comments_resolve",
        request=None,
        responses={200: ReviewCommentSerializer, **errors(401, 403, 404, 409, 429)},
        description="Resolve a thread: it no longer blocks approval (409 if already resolved). The newsroom.",
    )
    def post(self, request: AuthenticatedApiRequest, pk: int, comment_pk: int) -> Response:
        version = _newsroom_version(request, pk)
        review.review_comment_resolve(comment=_thread(version, comment_pk), by=request.user)
        return Response(ReviewCommentSerializer(_thread(_newsroom_version(request, pk), comment_pk)).data)


class ReviewerListView(APIView):
    @extend_schema(
        operation_id="evaluation_versions_reviewers_list",
        responses={200: ReviewAssignmentSerializer(many=True), **errors(401, 404, 429)},
        description="Who is assigned to review the version. The newsroom only (404 to everyone else).",
    )
    def get(self, request: Request, pk: int) -> Response:
        version = _newsroom_version(request, pk)
        assignments = version.assignments.select_related("reviewer", "assigned_by").order_by("assigned_at", "pk")
        return Response(ReviewAssignmentSerializer(assignments, many=True).data)

    @extend_schema(
        operation_id="evaluation_versions_reviewers_create",
        request=ReviewAssignSerializer,
        responses={201: ReviewAssignmentSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Assign a reviewer (someone who may approve and did not write the version; 400 otherwise "
        "or when already assigned). 409 unless a draft or in review. The newsroom.",
    )
    def post(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        version = _newsroom_version(request, pk)
        serializer = ReviewAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reviewer = get_user_model().objects.filter(username=serializer.validated_data["reviewer"]).first()
        if reviewer is None:
            raise ValidationError({"reviewer": ["no such user"]})
        assignment = review.review_assign(version=version, by=request.user, reviewer=reviewer)
        return Response(ReviewAssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


class EvaluationVersionWithdrawView(APIView):
    @extend_schema(
        operation_id="evaluation_versions_withdraw",
        request=SubmitSerializer,
        responses={200: EvaluationVersionSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Its author takes a version in review back to draft (403 for anyone else; 409 unless in "
        "review). Editors.",
    )
    def post(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        return version_action(
            request, _newsroom_version(request, pk), SubmitSerializer, review.evaluation_version_withdraw
        )


class EvaluationVersionDiscardView(APIView):
    @extend_schema(
        operation_id="evaluation_versions_discard",
        request=SubmitSerializer,
        responses={200: EvaluationVersionSerializer, **errors(400, 401, 403, 404, 409, 429)},
        description="Discard a draft: it stays on the newsroom's record, no longer blocks a new version of the "
        "case, and never reaches readers (409 unless a draft). Reviewers and admins.",
    )
    def post(self, request: AuthenticatedApiRequest, pk: int) -> Response:
        return version_action(
            request, _newsroom_version(request, pk), SubmitSerializer, review.evaluation_version_discard
        )
