from __future__ import annotations

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from cases import feeds, views
from cases.sitemaps import SITEMAPS

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/<slug:slug>/", views.case_detail, name="case-detail"),
    path("cases/<slug:slug>/history/", views.case_history, name="case-history"),
    path("cases/<slug:slug>/versions/<int:number>/", views.case_version, name="case-version"),
    path("cases/<slug:slug>/compare/", views.case_compare, name="case-compare"),
    path("organizations/", views.organization_list, name="organization-list"),
    path("organizations/<slug:slug>/", views.organization_detail, name="organization-detail"),
    path("organizations/<slug:slug>/feed/", feeds.OrganizationAnalysesFeed(), name="organization-feed"),
    path(
        "organizations/<slug:slug>/corrections/feed/",
        feeds.OrganizationCorrectionsFeed(),
        name="organization-corrections-feed",
    ),
    path("rubric/", views.rubric_index, name="rubric-index"),
    path("rubric/<slug:rubric_slug>/v<int:number>/", views.rubric_version_detail, name="rubric-version"),
    path("feeds/analyses/", feeds.AnalysesFeed(), name="feed-analyses"),
    path("feeds/corrections/", feeds.CorrectionsFeed(), name="feed-corrections"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
]
