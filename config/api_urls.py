"""/api/v1/: the REST API, its OpenAPI schema and its docs page."""

from __future__ import annotations

from django.urls import path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView

from cases import api as cases_api
from config.api import TokenView
from evaluations import api as evaluations_api

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(urlconf=None), name="schema"),
    path("docs/", TemplateView.as_view(template_name="api/docs.html"), name="docs"),
    path("auth/token/", TokenView.as_view(), name="token"),
    path("cases/", cases_api.CaseListView.as_view(), name="case-list"),
    path("cases/<slug:slug>/", cases_api.CaseDetailView.as_view(), name="case-detail"),
    path("cases/<slug:slug>/parties/", cases_api.CasePartiesView.as_view(), name="case-parties"),
    path("cases/<slug:slug>/parties/<slug:organization>/", cases_api.CasePartyView.as_view(), name="case-party"),
    path("cases/<slug:slug>/sources/", cases_api.CaseSourcesView.as_view(), name="case-sources"),
    path("cases/<slug:slug>/sources/<int:pk>/", cases_api.CaseSourceView.as_view(), name="case-source"),
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
    path("evaluation-versions/<int:pk>/", evaluations_api.EvaluationVersionView.as_view(), name="version"),
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
    path("organizations/", cases_api.OrganizationListView.as_view(), name="organization-list"),
    path("organizations/<slug:slug>/", cases_api.OrganizationDetailView.as_view(), name="organization-detail"),
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
    path("export/cases.csv", cases_api.ExportCsvView.as_view(), name="export-csv"),
    path("export/cases.json", cases_api.ExportJsonView.as_view(), name="export-json"),
]
