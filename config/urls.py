"""The composition root: each app's pages, desk and API mounted side by side, the same way."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cases import api_urls as cases_api_urls
from cases import desk_urls as cases_desk_urls
from cases.desk_views import desk_landing
from core import api_urls as core_api_urls
from core.health import health_view
from core.login import ThrottledLoginView
from evaluations import api_urls as evaluations_api_urls
from evaluations import desk_urls as evaluations_desk_urls
from evaluations import worksheet_urls
from evaluations.selectors import overdue_publications_health, stale_summaries_stats

api_urlpatterns = [*core_api_urls.urlpatterns, *cases_api_urls.urlpatterns, *evaluations_api_urls.urlpatterns]
desk_urlpatterns = [*cases_desk_urls.urlpatterns, *evaluations_desk_urls.urlpatterns, *worksheet_urls.urlpatterns]

# Under /api/ even an unknown URL or an error before DRF answers JSON (core.api).
handler400 = "core.api.handler400"
handler403 = "core.api.handler403"
handler404 = "core.api.handler404"
handler500 = "core.api.handler500"

urlpatterns = [
    path(
        "health/",
        health_view(stale_stats=stale_summaries_stats, checks={"overdue_publications": overdue_publications_health}),
        name="health",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_urlpatterns, "api"))),
    path("accounts/login/", ThrottledLoginView.as_view(landing=desk_landing), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Changing one's password ends one's other sessions and API tokens (core.credentials).
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("desk/", include(desk_urlpatterns)),
    path("", include("cases.toolkit_urls")),
    path("", include("alerts.urls")),
    path("", include("cases.urls")),
]
