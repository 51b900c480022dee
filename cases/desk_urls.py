"""The desk's pages for cases and organizations, mounted under /desk/ by config.urls."""

from __future__ import annotations

from django.urls import path

from cases import desk_views as views

urlpatterns = [
    path("cases/", views.case_list, name="desk-case-list"),
    path("cases/new/", views.case_create, name="desk-case-create"),
    path("cases/<int:pk>/", views.case_detail, name="desk-case"),
    path("cases/<int:pk>/edit/", views.case_edit, name="desk-case-edit"),
    path("cases/<int:pk>/sources/<int:source_pk>/excerpt/", views.source_excerpt, name="desk-source-excerpt"),
    path("cases/<int:pk>/timeline/", views.timeline_add, name="desk-timeline-add"),
    path("cases/<int:pk>/timeline/<int:n>/", views.timeline_edit, name="desk-timeline-edit"),
    path("organizations/", views.organizations, name="desk-organizations"),
    path("organizations/<int:pk>/edit/", views.organization_edit, name="desk-organization-edit"),
    path("organizations/merge/", views.organization_merge, name="desk-organization-merge"),
]
