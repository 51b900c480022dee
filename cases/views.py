"""Reader pages for the case library: only published content, by any path.

Views parse the request, call selectors and render; rules live elsewhere.
"""

from __future__ import annotations

import functools
import hashlib

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils.http import quote_etag
from django.utils.safestring import mark_safe
from django.views.decorators.http import condition

from cases import cache_keys, chart_image, charts, keyset, reading, selectors, web_selectors, web_views
from cases.filters import CaseFilter, ChangelogFilter
from cases.models import Case
from core.http import absolute_url, safe_methods
from evaluations import rubric_impact
from evaluations.agreement import rubric_version_agreement
from evaluations.annotated import version_reading
from evaluations.compare import compare_versions, facts_compared
from evaluations.markdown import render as render_markdown
from evaluations.models import EvaluationVersion, RubricVersion
from evaluations.paths import RESOURCES
from evaluations.rubric_changes import rubric_changes

PER_PAGE = 20


def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


# Where a search row's headline goes in its cached HTML (``cases/_case_row.html``): an HTML comment,
# which no text the row shows can hold (escaped, its "<" is "&lt;"), so every row is cached once
# and serves the plain archive and any search alike.
HEADLINE_SLOT = "<!--headline-->"


def _archive_rows(page: keyset.Page, headlines: dict) -> list[str]:
    """Each row's HTML from the cache (one round trip), with its search headline in its slot; only
    the rows missing from the cache have their parties, deal types and verdicts read."""
    # Keyed on what the page's own query read (the case and its summary): see cache_keys.archive_row.
    keys = {case.pk: cache_keys.archive_row(case) for case in page}
    cached = cache.get_many(list(keys.values())) if keys else {}
    misses = [case for case in page if keys[case.pk] not in cached]
    if misses:
        prefetch_related_objects(misses, *selectors.archive_row_prefetches())
        slot = mark_safe(HEADLINE_SLOT)  # noqa: S308 - our own constant
        missing = {
            keys[case.pk]: render_to_string("cases/_case_row.html", {"case": case, "headline_slot": slot})
            for case in misses
        }
        cache.set_many(missing, cache_keys.ROW_TIMEOUT)
        cached.update(missing)
    headline_template = get_template("cases/_case_row.html#headline") if headlines else None
    rows = []
    for case in page:
        headline = headlines.get(case.pk)
        filled = headline_template.render({"headline": headline}) if headline and headline_template else ""
        rows.append(mark_safe(cached[keys[case.pk]].replace(HEADLINE_SLOT, filled, 1)))  # noqa: S308 - our template
    return rows


@safe_methods
def home(request: HttpRequest) -> HttpResponse:
    """The archive: combinable filters, search, sorting and keyset pages, all in the URL."""
    filterset = CaseFilter(request.GET or None, queryset=selectors.case_list_published())
    valid = filterset.is_valid() if filterset.is_bound else True
    # The search as the filter accepted it: a refused one (NUL characters) ranks nothing.
    query = (filterset.form.cleaned_data.get("search") or "").strip() if filterset.is_bound else ""
    queryset = filterset.qs if filterset.is_bound else selectors.case_list_published()
    queryset = queryset.prefetch_related(None)  # rows read what they show only on a cache miss (_archive_rows)
    sort = request.GET.get("sort") or ("relevance" if query else "newest")
    if sort not in selectors.SORTS and not (sort == "relevance" and query):
        sort = "newest"
    status = 200
    cursor_error = ""
    try:
        page, headlines = selectors.case_archive_page(
            queryset, sort=sort, cursor=request.GET.get("cursor"), per_page=PER_PAGE, query=query
        )
    except keyset.BadCursor as exc:
        cursor_error, status = str(exc), 400
        page, headlines = selectors.case_archive_page(queryset, sort=sort, cursor=None, per_page=PER_PAGE, query=query)
    base = _query_without(request, "cursor")
    form_organization = filterset.form["organization"].value() if filterset.is_bound else None
    choices = selectors.archive_choices()
    filtered = bool(_query_without(request, "cursor", "sort"))
    # The whole archive: its exact total, counted once per change of the published set. A filter or
    # a search counts its matches up to a cap ("More than 1000"): counting every match of a common
    # filter reads tens of thousands of rows at 100,000 cases.
    count = selectors.case_count_capped(queryset) if filtered else selectors.case_count_published()
    capped = filtered and count > selectors.COUNT_CAP
    suggestion = (selectors.case_search_suggestion(query) or "") if query and not count else ""
    sorts = list(selectors.SORTS.values())
    if query:
        sorts.insert(0, selectors.RELEVANCE)
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "form_valid": valid,
        "page": page,
        "rows": _archive_rows(page, headlines),
        "query": query,
        "sort": sort,
        "sorts": sorts,
        "choices": choices,
        "organization_selected": (_organization_named(filterset, choices) or (form_organization,))[0],
        "count": selectors.COUNT_CAP if capped else count,
        "count_more": capped,
        "suggestion": suggestion,
        "suggestion_query": _query_with(request, search=suggestion) if suggestion else "",
        "without_search": _query_without(request, "cursor", "search", "sort"),
        "chips": _filter_chips(request, filterset, choices),
        "swap_dates": _swap_dates(request, filterset),
        "base_query": base,
        "last_cursor": keyset.make_cursor("last"),
        "cursor_error": cursor_error,
        "filtered": filtered,
    }
    return render(request, "cases/home.html", context, status=status)


def _query_with(request: HttpRequest, **values: str) -> str:
    params = request.GET.copy()
    params.pop("cursor", None)
    for name, value in values.items():
        params[name] = value
    return params.urlencode()


def _swap_dates(request: HttpRequest, filterset: CaseFilter) -> str:
    """The query with the two dates swapped, when they were given the wrong way round; else ''."""
    if not filterset.is_bound or not filterset.form.has_error("announced_before", code="inverted"):
        return ""
    return _query_with(
        request,
        announced_after=request.GET.get("announced_before", ""),
        announced_before=request.GET.get("announced_after", ""),
    )


def _organization_named(filterset: CaseFilter, choices: dict) -> tuple[str, str] | None:
    """(slug, name) of the public organization that the organization filter named by another name, if any."""
    named = filterset.organization_named if filterset.is_bound else None
    if named is None:
        return None
    public = dict(choices["organizations"])  # only organizations of published cases: no name leaks
    return (named.slug, public[named.slug]) if named.slug in public else None


def _filter_chips(request: HttpRequest, filterset: CaseFilter, choices: dict) -> list[dict]:
    """The active filters, each with its label, its value as readers know it, and a link without it."""
    if not filterset.is_bound:
        return []
    names = {
        "organization": dict(choices["organizations"]),
        "tag": dict(choices["tags"]),
        "deal_type": dict(choices["deal_types"]),
    }
    organization = _organization_named(filterset, choices)
    if organization is not None:  # an alias ("aws") shows as the organization it names
        names["organization"][request.GET.get("organization", "").strip()] = organization[1]
    chips = []
    for name, field in filterset.form.fields.items():
        value = request.GET.get(name, "").strip()
        if not value:
            continue
        shown = names.get(name, {}).get(value, value)
        if hasattr(field, "choices") and name not in names:
            shown = next((str(label) for key, label in field.choices if str(key) == value), value)
        if name == "search":
            shown = f"“{value}”"
        if name == "rubric_version":
            shown = f"v{value}"
        label = str(field.label).split(" (")[0]
        chips.append({"label": label, "value": shown, "query": _query_without(request, "cursor", name)})
    return chips


def _case_or_404(slug: str) -> Case:
    try:
        return selectors.case_published_or_404_slug(slug)
    except Case.DoesNotExist:
        raise Http404("No published case here.") from None


def _version_context(version: EvaluationVersion) -> dict:
    return version_reading(version)


def _case_detail_etag(request: HttpRequest, slug: str) -> str | None:
    """For a conditional GET only: the validator in one query, so a 304 costs no more.

    A plain GET sets the same ETag from the rows it loads anyway (no extra
    query). Signed-in users' pages differ (desk links): no conditional GET.
    """
    if "If-None-Match" not in request.headers or request.user.is_authenticated:
        return None
    return selectors.case_page_etag(slug)


def _analysis_html(case: Case, published: EvaluationVersion) -> str:
    """The rendered analysis block (annotated narrative, notes, score tables) of a published version.

    A published version never changes, so its block is cached on the version's
    id, plus what it shows from outside the version: source titles and links
    (editing them touches ``case.updated_at``) and the parties' organization names.
    On a hit, the version's scores, sources and annotations are not even read.
    """
    organizations_at = cache_keys.latest(p.organization.updated_at for p in case.parties.all())
    key = cache_keys.analysis(published.pk, case.updated_at, organizations_at)
    html = cache.get(key)
    if html is None:
        version = selectors.evaluation_version_for_reader(case)
        html = render_to_string("cases/_analysis.html", _version_context(version)) if version else ""
        cache.set(key, html, cache_keys.ANALYSIS_TIMEOUT)
    return mark_safe(html)  # noqa: S308 - rendered by our template, sanitized Markdown


@safe_methods
@condition(etag_func=_case_detail_etag)
def case_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        case = selectors.case_detail(slug)
    except Case.DoesNotExist:
        raise Http404("No published case here.") from None
    summary = getattr(case, "risk_summary", None)
    history = selectors.evaluation_versions_public(case)
    # The published version's id, number, verdict and date come with the history.
    version = next((v for v in history if v.state == EvaluationVersion.State.PUBLISHED), None)
    context = {
        "case": case,
        "summary": summary,
        "chart": charts.risk_chart(summary) if summary and summary.computed_at else "",
        "corrections": [v for v in history if v.correction_note],
        "history": history,
        "changelog_anchor": selectors.changelog_entry_anchor(case, summary, history),
        "canonical": absolute_url(case.get_absolute_url()),
        "og_image": absolute_url(reverse("case-chart", args=[case.slug])) if summary and summary.computed_at else "",
        "version": version,
        "analysis": reading.outline(_analysis_html(case, version)) if version else None,
        "rubric_version": version.evaluation.rubric_version if version else None,
        "similar": web_selectors.similar_deals(case, selectors.published_generation()),
    }
    response = render(request, "cases/case_detail.html", context)
    if not request.user.is_authenticated:
        response["ETag"] = quote_etag(selectors.case_page_etag_of(case, version))
    return response


CHART_CACHE_TIMEOUT = 7 * 24 * 3600


def _chart_etag(request: HttpRequest, slug: str) -> str | None:
    stamp = selectors.case_chart_stamp(slug)
    return hashlib.sha256(stamp.encode()).hexdigest()[:32] if stamp else None


@safe_methods
@condition(etag_func=_chart_etag)
def case_chart_png(request: HttpRequest, slug: str) -> HttpResponse:
    """The risk chart as a PNG, for link previews (og:image): drawn once per published version
    and summary computation, then served from the cache, with an ETag for conditional GETs."""
    stamp = selectors.case_chart_stamp(slug)
    if stamp is None:
        raise Http404("No published case with a computed summary here.")
    key = f"cases:chart-png:v1:{stamp}"
    png = cache.get(key)
    if png is None:
        case = selectors.case_detail(slug)
        png = chart_image.risk_chart_png(case.risk_summary, title=case.title)
        cache.set(key, png, CHART_CACHE_TIMEOUT)
    return HttpResponse(png, content_type="image/png")


@safe_methods
def case_history(request: HttpRequest, slug: str) -> HttpResponse:
    case = _case_or_404(slug)
    versions = selectors.evaluation_versions_public(case)
    # facts: which of the case's facts each version changed, against the one before it (newest first)
    rows = [
        (version, [c.label for c in facts_compared(older.facts, version.facts)] if older else [], older)
        for version, older in zip(versions, [*versions[1:], None], strict=True)
    ]
    context = {"case": case, "versions": versions, "rows": rows}
    return render(request, "cases/case_history.html", context)


@safe_methods
def case_version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """One published or superseded version, readable as it stood."""
    case = _case_or_404(slug)
    try:
        version = selectors.evaluation_version_public(case, number)
    except EvaluationVersion.DoesNotExist:
        raise Http404("No published version with this number.") from None
    history = selectors.evaluation_versions_public(case)
    context = {"case": case, "history": history, "current": history[0] if history else None}
    context.update(_version_context(version))
    return render(request, "cases/case_version.html", context)


@safe_methods
def case_compare(request: HttpRequest, slug: str) -> HttpResponse:
    """Two public versions side by side; anything else is not found."""
    case = _case_or_404(slug)
    try:
        a_number, b_number = int(request.GET.get("a", "")), int(request.GET.get("b", ""))
        a = selectors.evaluation_version_public(case, a_number)
        b = selectors.evaluation_version_public(case, b_number)
    except (ValueError, EvaluationVersion.DoesNotExist):
        raise Http404("Compare two published versions of this case.") from None
    if a.number > b.number:
        a, b = b, a
    comparison = compare_versions(a, b)
    history = selectors.evaluation_versions_public(case)
    return render(request, "cases/case_compare.html", {"case": case, "comparison": comparison, "history": history})


def _rubric_number(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "")
    if raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        raise ValueError(f"{name} must be a rubric version's number")
    return int(raw)


@safe_methods
def case_rubric_versions(request: HttpRequest, slug: str) -> HttpResponse:
    """The published analysis under two rubric versions (``?a=1&b=2``; by default the one it was
    scored under and the active one). Only active and retired versions: a draft's number is not found."""
    case = _case_or_404(slug)
    try:
        a, b = _rubric_number(request, "a"), _rubric_number(request, "b")
    except ValueError as exc:
        return render(request, "cases/case_rubric_versions.html", {"case": case, "error": str(exc)}, status=400)
    try:
        view = rubric_impact.case_two_rubric_versions(case, a, b)
    except rubric_impact.NotComparable:
        raise Http404("No such published rubric version for this case.") from None
    return render(request, "cases/case_rubric_versions.html", {"case": case, "view": view})


CHANGELOG_PER_PAGE = 20


@safe_methods
def changelog(request: HttpRequest) -> HttpResponse:
    """What changed in our assessments: every published version after a case's first, filtered in the URL."""
    filterset = ChangelogFilter(request.GET, queryset=selectors.changelog_versions())
    valid = filterset.is_valid()
    versions = filterset.qs.only("id", "case_id") if valid else EvaluationVersion.objects.none()
    page = Paginator(versions, CHANGELOG_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page": page,
        "entries": selectors.changelog_entries(page.object_list),
        "query_without_page": _query_without(request, "page"),
        "feed_query": _query_without(request, "page"),
    }
    return render(request, "cases/changelog.html", context, status=200 if valid else 400)


@safe_methods
def organization_list(request: HttpRequest) -> HttpResponse:
    queryset, sort = selectors.organization_list_published(), selectors.ORGANIZATION_SORT
    status, cursor_error = 200, ""
    try:
        page = keyset.paginate(queryset, sort, request.GET.get("cursor"), 100)
    except keyset.BadCursor as exc:
        cursor_error, status = str(exc), 400
        page = keyset.paginate(queryset, sort, None, 100)
    context = {"page": page, "cursor_error": cursor_error, "last_cursor": keyset.make_cursor("last")}
    return render(request, "cases/organization_list.html", context, status=status)


@safe_methods
def organization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # The exposure's figures are shown from cached fragments keyed on its freshness: read on a miss only.
    organization = web_views.organization_or_redirect(slug, "organization-detail", figures=False)
    if isinstance(organization, HttpResponse):
        return organization  # a merged organization's old address
    status = 200
    cursor_error = ""
    queryset = selectors.organization_cases(organization).prefetch_related(None)  # rows: _archive_rows
    try:
        page = keyset.paginate(queryset, selectors.SORTS["newest"], request.GET.get("cursor"), PER_PAGE)
    except keyset.BadCursor as exc:
        cursor_error, status = str(exc), 400
        page = keyset.paginate(queryset, selectors.SORTS["newest"], None, PER_PAGE)
    exposure = selectors.organization_exposure(organization)
    # Its deals as the archive shows them (each row's HTML from the cache), under its own roles in each.
    own: dict[int, list] = {}
    for party in selectors.organization_parties_in(organization, [case.pk for case in page]):
        own.setdefault(party.case_id, []).append(party)
    rows = list(zip(page, [own.get(case.pk, []) for case in page], _archive_rows(page, {}), strict=True))
    # What the page's cached fragments show (keyed on the organization and its exposure's freshness)
    # is computed only when a fragment is rendered, i.e. on a cache miss: a template calls a callable.
    drift = _lazy(lambda: web_selectors.organization_drift_cached(organization, exposure))
    figures = _lazy(lambda: selectors.organization_exposure_figures(exposure))
    top = _lazy(lambda: selectors.exposure_top(figures()))
    context = {
        "organization": organization,
        "page": page,
        "rows": rows,
        "exposure": exposure,
        "exposure_figures": figures,
        "top": top,
        "chart": _lazy(lambda: _exposure_chart(figures(), top())),
        "counterparties": _lazy(lambda: selectors.organization_counterparties_cached(organization, exposure)),
        "exposure_cache_key": cache_keys.exposure_fragment(organization, exposure),
        "exposure_cache_timeout": cache_keys.EXPOSURE_FRAGMENT_TIMEOUT,
        "drift": drift,
        "drift_rows": _lazy(lambda: web_selectors.drift_rows(drift())),
        "drift_chart": _lazy(lambda: charts.drift_chart(drift()) if drift()["years"] else ""),
        "relationships": web_selectors.organization_relationships_public(organization),
        "cursor_error": cursor_error,
        "last_cursor": keyset.make_cursor("last"),
    }
    return render(request, "cases/organization_detail.html", context, status=status)


def _exposure_chart(exposure, top: dict | None) -> str:
    if exposure is None or not exposure.computed_at or top is None:
        return ""
    suppliers = list(top["suppliers"])
    rest = top["rest"]
    if rest["count"]:  # the suppliers past the bound as one bar, so the bars still add up to all supply
        name = f"{rest['count']} other supplier{'s' if rest['count'] != 1 else ''}"
        suppliers.append({"name": name, "share": rest["percent"] / 100})
    return charts.exposure_chart(exposure, suppliers=suppliers)


@safe_methods
def organization_supply(request: HttpRequest, slug: str, resource: str | None = None) -> HttpResponse:
    """An organization's full list of compute suppliers (or of one resource's supplier groups),
    a page at a time, largest share first: what its page shows the top of."""
    if resource is not None and resource not in RESOURCES:
        raise Http404("No such resource.")
    organization = web_views.organization_or_redirect(slug, "organization-supply", figures=False)
    if isinstance(organization, HttpResponse):  # a merged organization's old address
        if resource is None:
            return organization
        return HttpResponsePermanentRedirect(f"{organization['Location']}{resource}-groups/")
    raw = request.GET.get("page", "1")
    number = int(raw) if raw.isdigit() and len(raw) < 7 else 0
    exposure = selectors.organization_exposure(organization)
    listing = selectors.organization_supply_page_cached(organization, exposure, resource, number)
    if listing is None:
        raise Http404("No such page.")
    context = {"organization": organization, "resource": resource, "listing": listing}
    return render(request, "cases/organization_supply.html", context)


def _lazy(compute):
    """A value a template computes when it first uses it, once (a callable it calls, memoized)."""
    return functools.cache(compute)


@safe_methods
def rubric_index(request: HttpRequest) -> HttpResponse:
    return render(request, "cases/rubric_index.html", {"versions": selectors.rubric_versions_public()})


@safe_methods
def rubric_version_detail(request: HttpRequest, rubric_slug: str, number: int) -> HttpResponse:
    try:
        version = selectors.rubric_version_public(rubric_slug, number)
    except RubricVersion.DoesNotExist:
        raise Http404("No published rubric version here.") from None
    previous = selectors.rubric_version_previous_public(version)
    return render(
        request,
        "cases/rubric_version.html",
        {
            "version": version,
            "previous": previous,
            "changes": rubric_changes(previous, version) if previous else None,
            "changelog_html": render_markdown(version.changelog),
            "crosswalk": rubric_impact.crosswalk_from_previous(version, previous) if previous else None,
            "agreement": rubric_version_agreement(version),
        },
    )


@safe_methods
def robots_txt(request: HttpRequest) -> HttpResponse:
    sitemap = absolute_url(reverse("sitemap"))
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /desk/",
        f"Sitemap: {sitemap}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
