"""Reader pages for the web of dependencies: the graph, a neighbourhood, deals side by side.

Only published cases and published relationships reach these pages.
"""

from __future__ import annotations

from functools import partial

from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse

from cases import graph, selectors, web_selectors
from cases.models import Organization
from core.http import safe_methods
from evaluations import side_by_side


def organization_or_redirect(slug: str, url_name: str, *, figures: bool = True) -> Organization | HttpResponse:
    """A public organization, a permanent redirect from a merged organization's old slug, or 404.
    ``figures=False``: its exposure's JSON figures unread (``selectors.organization_detail``)."""
    try:
        return selectors.organization_detail(slug, figures=figures)
    except Organization.DoesNotExist:
        target = web_selectors.organization_redirect_target(slug)
        if target is not None and selectors.organizations_visible().filter(pk=target.pk).exists():
            return HttpResponsePermanentRedirect(reverse(url_name, args=[target.slug]))
        raise Http404("No such organization.") from None


def _edge_rows(built: graph.Graph) -> list[tuple]:
    return [(built.nodes[e.source], built.nodes[e.target], e, ", ".join(sorted(e.flows))) for e in built.edges]


def _graph_context(request: HttpRequest, focus: Organization | None) -> tuple[dict, int]:
    filters, errors = web_selectors.graph_filters_parse(request.GET)
    built = web_selectors.graph_read(filters, focus=focus)
    focus_id = focus.pk if focus else None
    title = f"{focus.name}'s neighbourhood" if focus else "The web of published deals"
    description = (
        f"{len(built.nodes)} organizations and {len(built.edges)} links; arrows point from the side that"
        " supplies to the side that receives; line colour is the deal's classification, thickness its deal count."
    )
    context = {
        "graph": built,
        # Lazy: the drawing and its table are rendered only when the template's fragment cache
        # (keyed on the graph's own cache key) misses.
        "svg": partial(graph.svg, built, title=title, description=description, focus=focus_id),
        "cache_timeout": web_selectors.GRAPH_CACHE_TIMEOUT,
        "title": title,
        "description": description,
        "filters": filters,
        "errors": errors,
        "deal_types": web_selectors.deal_type_choices(),
        "classifications": web_selectors.CLASSIFICATIONS,
        "focus": focus,
        "truncated": built.nodes_left_out > 0 or built.edges_left_out > 0,
        "query": request.GET.urlencode(),
        "edge_rows": partial(_edge_rows, built),
    }
    return context, 400 if errors else 200


@safe_methods
def graph_page(request: HttpRequest) -> HttpResponse:
    context, status = _graph_context(request, None)
    return render(request, "cases/graph.html", context, status=status)


@safe_methods
def organization_graph_page(request: HttpRequest, slug: str) -> HttpResponse:
    organization = organization_or_redirect(slug, "organization-graph")
    if isinstance(organization, HttpResponse):
        return organization
    context, status = _graph_context(request, organization)
    return render(request, "cases/graph.html", context, status=status)


@safe_methods
def deals_compare_page(request: HttpRequest) -> HttpResponse:
    """Two to six published cases side by side: ``?cases=a,b,c`` or repeated ``cases`` checkboxes."""
    raw = request.GET.getlist("cases")
    try:
        slugs = web_selectors.compare_slugs_parse(raw)
        sheets = web_selectors.compare_sheets(slugs)
    except web_selectors.CompareError as exc:
        return render(request, "cases/deals_compare.html", {"error": str(exc)}, status=400 if raw else 200)
    context = {
        "sheets": sheets,
        "rows": side_by_side.align(sheets),
        "share_url": f"{reverse('deals-compare')}?cases={','.join(slugs)}",
    }
    return render(request, "cases/deals_compare.html", context)
