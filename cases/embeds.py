"""Embeddable widgets of a published case, and the oEmbed endpoint that hands them out.

Each widget (risk chart, per-party ledger, deal card) is a small page at
``/embed/cases/<slug>/<widget>/`` that other sites may frame: its own Content
Security Policy says ``frame-ancestors *`` and no X-Frame-Options is sent,
while every other page keeps ``frame-ancestors 'none'`` and ``DENY``. It runs
no script (``script-src 'none'``), submits no form, reads no session and so
sets no cookie, names the analysis version it shows, links back to the full
analysis, and carries a one-line notice once the analysis has been corrected.
Only published cases and published versions are shown: anything else is 404.
"""

from __future__ import annotations

from itertools import groupby
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import patch_cache_control
from django.utils.csp import CSP
from django.utils.html import format_html
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

from cases import charts, selectors
from cases.models import Case
from core.http import absolute_url
from evaluations.models import EvaluationVersion

EMBED_CSP: dict[str, list[str]] = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.NONE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": ["*"],
}

# name: (title, default width, default height) of the iframe oEmbed hands out
WIDGETS: dict[str, tuple[str, int, int]] = {
    "card": ("Deal card", 480, 440),
    "chart": ("Risk chart", 640, 460),
    "ledger": ("Per-party ledger", 640, 720),
}
DEFAULT_WIDGET = "card"
EMBED_MAX_AGE = 300


def _embed_response(view):
    """The frame policy of an embed (and only of an embed)."""
    return require_GET(xframe_options_exempt(csp_override(EMBED_CSP)(view)))


def _published_case(slug: str) -> Case:
    try:
        return selectors.case_detail(slug)
    except Case.DoesNotExist:
        raise Http404("No published case here.") from None


def _ledger(version: EvaluationVersion, summary) -> list[dict]:
    """Per party: its role, its three family figures and classification, and its scores."""
    figures = {f.organization_id: f for f in summary.party_figures.all()} if summary else {}
    scored = sorted(
        ((s.party, s) for s in version.scores.all() if s.party is not None),
        key=lambda pair: (pair[0].position, pair[0].pk, pair[1].criterion.position),
    )
    rows = []
    for party, group in groupby(scored, key=lambda pair: pair[0]):
        rows.append({"party": party, "figure": figures.get(party.organization_id), "scores": [s for _, s in group]})
    return rows


@_embed_response
def case_embed(request: HttpRequest, slug: str, widget: str) -> HttpResponse:
    if widget not in WIDGETS:
        raise Http404("No such widget.")
    case = _published_case(slug)
    history = selectors.evaluation_versions_public(case)
    version = next((v for v in history if v.state == EvaluationVersion.State.PUBLISHED), None)
    if version is None:
        raise Http404("No published analysis here.")
    summary = getattr(case, "risk_summary", None)
    # The most recent public correction: one line, linked to the version that made it.
    correction = next((v for v in history if v.correction_note), None)
    context = {
        "case": case,
        "version": version,
        "summary": summary if summary and summary.computed_at else None,
        "correction": correction,
        "widget": widget,
        "widget_title": WIDGETS[widget][0],
        "case_url": absolute_url(case.get_absolute_url()),
        "version_url": absolute_url(reverse("case-version", args=[case.slug, version.number])),
    }
    if widget == "chart" and context["summary"]:
        context["chart"] = charts.risk_chart(summary)
    if widget == "ledger":
        full = selectors.evaluation_version_for_reader(case)
        context["ledger"] = _ledger(full, context["summary"]) if full else []
    response = render(request, f"cases/embed/{widget}.html", context)
    patch_cache_control(response, public=True, max_age=EMBED_MAX_AGE)
    return response


# --- oEmbed (https://oembed.com/, section 2) ---------------------------------


class _BadRequest(Exception):
    pass


def _dimension(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise _BadRequest(f"{name} must be a positive integer.") from None
    if value < 1:
        raise _BadRequest(f"{name} must be a positive integer.")
    return value


def _our_hosts(request: HttpRequest) -> set[str]:
    return {request.get_host().lower(), urlsplit(settings.SITE_URL).netloc.lower()}


def _resolve_case_url(request: HttpRequest, url: str) -> tuple[str, str] | None:
    """(slug, widget) for a URL of one of our case pages or embeds, else None."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or parts.netloc.lower() not in _our_hosts(request):
        return None
    try:
        match = resolve(parts.path or "/")
    except Resolver404:
        return None
    if match.url_name in ("case-detail", "case-version", "case-history"):
        return match.kwargs["slug"], DEFAULT_WIDGET
    if match.url_name == "case-embed":
        return match.kwargs["slug"], match.kwargs["widget"]
    return None


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@require_GET
def oembed(request: HttpRequest) -> HttpResponse:
    """``/oembed?url=<a case or embed URL>&format=json[&maxwidth=&maxheight=]``: a ``rich`` response."""
    fmt = request.GET.get("format", "json")
    if fmt != "json":
        return _error(501, "Only format=json is offered.")  # the spec's answer to an unsupported format
    url = request.GET.get("url", "")
    if not url:
        return _error(400, "Give the url of a Moatwatch case.")
    try:
        maxwidth, maxheight = _dimension(request, "maxwidth"), _dimension(request, "maxheight")
    except _BadRequest as exc:
        return _error(400, str(exc))
    target = _resolve_case_url(request, url)
    if target is None:
        return _error(404, "Not a Moatwatch case URL.")
    slug, widget = target
    if widget not in WIDGETS:
        return _error(404, "No such widget.")
    try:
        case = selectors.case_published_or_404_slug(slug)
    except Case.DoesNotExist:
        return _error(404, "No published case here.")  # the same answer as for a slug never used
    title, width, height = WIDGETS[widget]
    if maxwidth:
        width = min(width, maxwidth)
    if maxheight:
        height = min(height, maxheight)
    src = absolute_url(reverse("case-embed", args=[case.slug, widget]))
    iframe_title = f"{title}: {case.title} (Moatwatch)"
    html = format_html(
        '<iframe src="{}" width="{}" height="{}" title="{}" loading="lazy" frameborder="0" '
        'referrerpolicy="strict-origin-when-cross-origin" sandbox="allow-popups allow-popups-to-escape-sandbox">'
        "</iframe>",
        src,
        width,
        height,
        iframe_title,
    )
    data = {
        "version": "1.0",
        "type": "rich",
        "title": case.title,
        "provider_name": "Moatwatch",
        "provider_url": absolute_url("/"),
        "author_name": "Moatwatch",
        "author_url": absolute_url("/"),
        "cache_age": EMBED_MAX_AGE,
        "html": str(html),
        "width": width,
        "height": height,
    }
    response = JsonResponse(data)
    patch_cache_control(response, public=True, max_age=EMBED_MAX_AGE)
    return response


def oembed_discovery_href(request: HttpRequest, page_url: str) -> str:
    return absolute_url(reverse("oembed")) + "?" + urlencode({"url": page_url, "format": "json"})
