from __future__ import annotations

from django.urls import path

from cases import views

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/<slug:slug>/", views.case_detail, name="case-detail"),
    path("organizations/<slug:slug>/", views.organization_detail, name="organization-detail"),
]
