"""/api/v1/ endpoints for evaluation versions and rubrics, mounted by config.urls."""

from __future__ import annotations

from django.urls import path

from evaluations import api as evaluations_api
from evaluations import double_api, review_api

urlpatterns = [
    path("cases/<slug:slug>/evaluations/", evaluations_api.CaseEvaluationStartView.as_view(), name="case-evaluations"),
    path("cases/<slug:slug>/versions/", evaluations_api.CaseVersionListView.as_view(), name="case-versions"),
    path(
        "cases/<slug:slug>/versions/compare/",
        evaluations_api.CaseVersionCompareView.as_view(),
        name="case-versions-compare",
    ),
    path(
        "cases/<slug:slug>/versions/<int:number>/",
        evaluations_api.CaseVersionDetailView.as_view(),
        name="case-version",
    ),
    path(
        "cases/<slug:slug>/rubric-versions/",
        evaluations_api.CaseRubricVersionsView.as_view(),
        name="case-rubric-versions",
    ),
    path("evaluation-versions/<int:pk>/", evaluations_api.EvaluationVersionView.as_view(), name="version"),
    path(
        "evaluation-versions/<int:pk>/revisions/",
        evaluations_api.RevisionListView.as_view(),
        name="version-revisions",
    ),
    path(
        "evaluation-versions/<int:pk>/revisions/<int:number>/",
        evaluations_api.RevisionDetailView.as_view(),
        name="version-revision",
    ),
    path(
        "evaluation-versions/<int:pk>/submit/",
        evaluations_api.EvaluationVersionSubmitView.as_view(),
        name="version-submit",
    ),
    path(
        "evaluation-versions/<int:pk>/send-back/",
        evaluations_api.EvaluationVersionSendBackView.as_view(),
        name="version-send-back",
    ),
    path(
        "evaluation-versions/<int:pk>/publish/",
        evaluations_api.EvaluationVersionPublishView.as_view(),
        name="version-publish",
    ),
    path(
        "evaluation-versions/<int:pk>/reschedule/",
        evaluations_api.EvaluationVersionRescheduleView.as_view(),
        name="version-reschedule",
    ),
    path(
        "evaluation-versions/<int:pk>/unschedule/",
        evaluations_api.EvaluationVersionUnscheduleView.as_view(),
        name="version-unschedule",
    ),
    path(
        "evaluation-versions/<int:pk>/rebase/",
        evaluations_api.EvaluationVersionRebaseView.as_view(),
        name="version-rebase",
    ),
    # The review loop: the newsroom only.
    path(
        "evaluation-versions/<int:pk>/withdraw/",
        review_api.EvaluationVersionWithdrawView.as_view(),
        name="version-withdraw",
    ),
    path(
        "evaluation-versions/<int:pk>/discard/",
        review_api.EvaluationVersionDiscardView.as_view(),
        name="version-discard",
    ),
    path("evaluation-versions/<int:pk>/reviewers/", review_api.ReviewerListView.as_view(), name="version-reviewers"),
    path("evaluation-versions/<int:pk>/comments/", review_api.ReviewCommentListView.as_view(), name="version-comments"),
    path(
        "evaluation-versions/<int:pk>/comments/<int:comment_pk>/replies/",
        review_api.ReviewCommentReplyView.as_view(),
        name="version-comment-replies",
    ),
    path(
        "evaluation-versions/<int:pk>/comments/<int:comment_pk>/resolve/",
        review_api.ReviewCommentResolveView.as_view(),
        name="version-comment-resolve",
    ),
    path(
        "evaluation-versions/<int:pk>/double-scoring/",
        double_api.DoubleScoringView.as_view(),
        name="version-double-scoring",
    ),
    path(
        "evaluation-versions/<int:pk>/double-scoring/scores/",
        double_api.DoubleScoringSubmitView.as_view(),
        name="version-double-scoring-submit",
    ),
    path(
        "evaluation-versions/<int:pk>/double-scoring/differences/<int:difference>/settle/",
        double_api.DoubleScoringSettleView.as_view(),
        name="version-double-scoring-settle",
    ),
    path(
        "cases/<slug:slug>/versions/<int:number>/double-scoring/",
        double_api.CaseVersionDoubleScoringView.as_view(),
        name="case-version-double-scoring",
    ),
    path(
        "rubrics/<slug:slug>/versions/<int:number>/agreement/",
        double_api.RubricVersionAgreementView.as_view(),
        name="rubric-version-agreement",
    ),
    path("changes/", evaluations_api.ChangelogView.as_view(), name="changelog"),
    path("rubrics/", evaluations_api.RubricListView.as_view(), name="rubric-list"),
    path("rubrics/<slug:slug>/versions/", evaluations_api.RubricVersionListView.as_view(), name="rubric-versions"),
    path(
        "rubrics/<slug:slug>/versions/<int:number>/",
        evaluations_api.RubricVersionDetailView.as_view(),
        name="rubric-version",
    ),
    path(
        "rubrics/<slug:slug>/versions/<int:number>/activate/",
        evaluations_api.RubricVersionActivateView.as_view(),
        name="rubric-version-activate",
    ),
    path(
        "rubrics/<slug:slug>/versions/<int:number>/activation-impact/",
        evaluations_api.RubricVersionImpactView.as_view(),
        name="rubric-version-activation-impact",
    ),
]
