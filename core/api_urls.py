"""/api/v1/ plumbing every API shares: the OpenAPI schema, its docs page, the token endpoint."""

from __future__ import annotations

from django.urls import path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView

from core.api import TokenView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(urlconf=None), name="schema"),
    path("docs/", TemplateView.as_view(template_name="api/docs.html"), name="docs"),
    path("auth/token/", TokenView.as_view(), name="token"),
]
