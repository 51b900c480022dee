"""/api/v1/ endpoints for cases, organizations and exports, mounted by config.urls."""

from __future__ import annotations

from django.urls import path

from cases import api as cases_api
from cases import web_api

urlpatterns = [
    path("cases/", cases_api.CaseListView.as_view(), name="case-list"),
    path("cases/<slug:slug>/", cases_api.CaseDetailView.as_view(), name="case-detail"),
    path("cases/<slug:slug>/parties/", cases_api.CasePartiesView.as_view(), name="case-parties"),
    path("cases/<slug:slug>/parties/<slug:organization>/", cases_api.CasePartyView.as_view(), name="case-party"),
    path("cases/<slug:slug>/sources/", cases_api.CaseSourcesView.as_view(), name="case-sources"),
    path("cases/<slug:slug>/sources/<int:pk>/", cases_api.CaseSourceView.as_view(), name="case-source"),
    path("organizations/", cases_api.OrganizationListView.as_view(), name="organization-list"),
    path("graph/", web_api.GraphView.as_view(), name="graph"),
    path("graph.graphml", web_api.GraphGraphMLView.as_view(), name="graph-graphml"),
    path("compare/", web_api.DealsCompareView.as_view(), name="deals-compare"),
    path("organizations/<slug:slug>/graph/", web_api.OrganizationGraphView.as_view(), name="organization-graph"),
    path(
        "organizations/<slug:slug>/graph.graphml",
        web_api.OrganizationGraphMLView.as_view(),
        name="organization-graph-graphml",
    ),
    path("organizations/<slug:slug>/web/", web_api.OrganizationWebView.as_view(), name="organization-web"),
    path("organizations/<slug:slug>/", cases_api.OrganizationDetailView.as_view(), name="organization-detail"),
    path("export/cases.csv", cases_api.ExportCsvView.as_view(), name="export-csv"),
    path("export/cases.json", cases_api.ExportJsonView.as_view(), name="export-json"),
]
