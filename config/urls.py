"""The composition root: each app's pages, desk and API mounted side by side, the same way."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cases import api_urls as cases_api_urls
from cases import desk_urls as cases_desk_urls
from core import api_urls as core_api_urls
from core.health import health_view
from core.login import ThrottledLoginView
from evaluations import api_urls as evaluations_api_urls
from evaluations import desk_urls as evaluations_desk_urls
from evaluations.selectors import stale_summaries_stats

api_urlpatterns = [*core_api_urls.urlpatterns, *cases_api_urls.urlpatterns, *evaluations_api_urls.urlpatterns]
desk_urlpatterns = [*cases_desk_urls.urlpatterns, *evaluations_desk_urls.urlpatterns]

urlpatterns = [
    path("health/", health_view(stale_stats=stale_summaries_stats), name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_urlpatterns, "api"))),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("desk/", include(desk_urlpatterns)),
    path("", include("cases.toolkit_urls")),
    path("", include("alerts.urls")),
    path("", include("cases.urls")),
]
