from __future__ import annotations

from django.contrib.sitemaps.views import sitemap
from django.urls import path
from django.views.decorators.http import conditional_page

from cases import feeds, views, web_views
from cases.sitemaps import SITEMAPS
from core.http import safe_methods


def _document(view):
    """Feeds and the sitemap: GET, HEAD and OPTIONS; an ETag from the body beside their Last-Modified,
    so that a poller's If-None-Match or If-Modified-Since gets a 304."""
    return safe_methods(conditional_page(view))


urlpatterns = [
    path("", views.home, name="home"),
    path("cases/<slug:slug>/", views.case_detail, name="case-detail"),
    path("cases/<slug:slug>/chart.png", views.case_chart_png, name="case-chart"),
    path("cases/<slug:slug>/history/", views.case_history, name="case-history"),
    path("cases/<slug:slug>/versions/<int:number>/", views.case_version, name="case-version"),
    path("cases/<slug:slug>/compare/", views.case_compare, name="case-compare"),
    path("cases/<slug:slug>/rubric-versions/", views.case_rubric_versions, name="case-rubric-versions"),
    path("graph/", web_views.graph_page, name="graph"),
    path("compare/", web_views.deals_compare_page, name="deals-compare"),
    path("organizations/<slug:slug>/graph/", web_views.organization_graph_page, name="organization-graph"),
    path("organizations/", views.organization_list, name="organization-list"),
    path("organizations/<slug:slug>/", views.organization_detail, name="organization-detail"),
    path("organizations/<slug:slug>/suppliers/", views.organization_supply, name="organization-supply"),
    path(
        "organizations/<slug:slug>/suppliers/<slug:resource>-groups/",
        views.organization_supply,
        name="organization-supply-groups",
    ),
    path("organizations/<slug:slug>/feed/", _document(feeds.OrganizationAnalysesFeed()), name="organization-feed"),
    path(
        "organizations/<slug:slug>/corrections/feed/",
        _document(feeds.OrganizationCorrectionsFeed()),
        name="organization-corrections-feed",
    ),
    path("rubric/", views.rubric_index, name="rubric-index"),
    path("rubric/<slug:rubric_slug>/v<int:number>/", views.rubric_version_detail, name="rubric-version"),
    path("feeds/analyses/", _document(feeds.AnalysesFeed()), name="feed-analyses"),
    path("feeds/corrections/", _document(feeds.CorrectionsFeed()), name="feed-corrections"),
    path("changes/", views.changelog, name="changelog"),
    path("feeds/changes/", _document(feeds.ChangesFeed()), name="feed-changes"),
    path("sitemap.xml", _document(sitemap), {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
]
