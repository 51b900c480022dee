"""The app's URLs plus the floor views, served by the same gunicorn process."""

from __future__ import annotations

from django.urls import path

from bench import floor
from config.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    path("__bench__/floor/archive/", floor.archive),
    path("__bench__/floor/case/<slug:slug>/", floor.case),
    path("__bench__/floor/case-304/<slug:slug>/", floor.case_not_modified),
    path("__bench__/floor/organization/<slug:slug>/", floor.organization),
    path("__bench__/floor/api/cases/", floor.api_list),
    path("__bench__/floor/api/cases/<slug:slug>/", floor.api_detail),
    path("__bench__/floor/search/", floor.search),
    *app_urlpatterns,
]
