"""The journalist's toolkit on the reader side: embeds, oEmbed and citation downloads."""

from __future__ import annotations

from django.urls import path

from cases import citation_views, embeds

urlpatterns = [
    path("embed/cases/<slug:slug>/<slug:widget>/", embeds.case_embed, name="case-embed"),
    path("oembed", embeds.oembed, name="oembed"),
    path(
        "cases/<slug:slug>/versions/<int:number>/cite.<str:fmt>",
        citation_views.case_version_cite,
        name="case-version-cite",
    ),
    path(
        "rubric/<slug:rubric_slug>/v<int:number>/cite.<str:fmt>",
        citation_views.rubric_version_cite,
        name="rubric-version-cite",
    ),
]
