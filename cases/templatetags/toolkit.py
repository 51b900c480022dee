"""Cite blocks, citation meta tags and oEmbed discovery links for the reader pages.

Presentation only: the text comes from ``cases.citations`` and the rows the
page already loaded (no query here).
"""

from __future__ import annotations

from django import template
from django.urls import reverse

from cases import citations
from cases.embeds import WIDGETS, oembed_discovery_href
from core.http import absolute_url

register = template.Library()


def _case_citation(request, case, version) -> citations.Citation:
    url = absolute_url(reverse("case-version", args=[case.slug, version.number]))
    return citations.case_version_citation(case, version, url=url)


def _rubric_citation(request, rubric_version) -> citations.Citation:
    args = [rubric_version.rubric.slug, rubric_version.number]
    url = absolute_url(reverse("rubric-version", args=args))
    return citations.rubric_version_citation(rubric_version, url=url)


def _block(citation: citations.Citation, bib_url: str, json_url: str) -> dict:
    return {
        "citation": citation,
        "house": citations.house_style(citation),
        "apa": citations.apa(citation),
        "bib_url": bib_url,
        "json_url": json_url,
    }


@register.inclusion_tag("cases/_cite_block.html", takes_context=True)
def cite_block(context, case, version) -> dict:
    """How to cite this analysis version, at its permanent URL."""
    citation = _case_citation(context["request"], case, version)
    return _block(
        citation,
        reverse("case-version-cite", args=[case.slug, version.number, "bib"]),
        reverse("case-version-cite", args=[case.slug, version.number, "json"]),
    )


@register.inclusion_tag("cases/_cite_block.html", takes_context=True)
def rubric_cite_block(context, rubric_version) -> dict:
    citation = _rubric_citation(context["request"], rubric_version)
    slug, number = rubric_version.rubric.slug, rubric_version.number
    return _block(
        citation,
        reverse("rubric-version-cite", args=[slug, number, "bib"]),
        reverse("rubric-version-cite", args=[slug, number, "json"]),
    )


@register.inclusion_tag("cases/_cite_meta.html", takes_context=True)
def cite_meta(context, case, version) -> dict:
    return {"tags": citations.meta_tags(_case_citation(context["request"], case, version))}


@register.inclusion_tag("cases/_cite_meta.html", takes_context=True)
def rubric_cite_meta(context, rubric_version) -> dict:
    return {"tags": citations.meta_tags(_rubric_citation(context["request"], rubric_version))}


@register.inclusion_tag("cases/_embed_offer.html", takes_context=True)
def embed_offer(context, case) -> dict:
    """The oEmbed discovery link (in <head>) or the list of widgets with their iframe code."""
    request = context["request"]
    page_url = absolute_url(case.get_absolute_url())
    widgets = []
    for name, (title, width, height) in WIDGETS.items():
        src = absolute_url(reverse("case-embed", args=[case.slug, name]))
        widgets.append({"name": name, "title": title, "src": src, "width": width, "height": height})
    return {"case": case, "oembed_href": oembed_discovery_href(request, page_url), "widgets": widgets}


@register.simple_tag(takes_context=True)
def oembed_href(context, case) -> str:
    request = context["request"]
    return oembed_discovery_href(request, absolute_url(case.get_absolute_url()))
