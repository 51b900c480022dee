"""The press-release worksheet's desk pages, mounted under /desk/ by config.urls."""

from __future__ import annotations

from django.urls import path

from evaluations import worksheet_views as views

urlpatterns = [
    path("worksheet/", views.worksheet, name="desk-worksheet"),
    path("worksheet/draft/", views.worksheet_draft, name="desk-worksheet-draft"),
]
