"""The floors: bare Django views that run ONE query for the rows a page shows.

Each benchmarked page is compared with its floor, served by the same gunicorn
process in the same run, so the ratio says what the page's own machinery
(prefetches, pagination counts, template, middleware it adds) costs, whatever
the machine's speed. A floor renders with a minimal template (or JSON for the
API) and skips everything a real page needs but a lower bound does not:
no pagination count, no parties, no Markdown.
"""

from __future__ import annotations

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.template import engines

from cases.models import Case
from cases.search import RANK_WINDOW

PER_PAGE = 20
ROW_FIELDS = ("slug", "title", "announced_on", "risk_summary__risk_index", "risk_summary__risk_band")
# The archive parameters a floor applies, as ORM lookups (one query, no validation queries).
FILTERS = {
    "deal_type": "deal_types__slug",
    "risk_band": "risk_summary__risk_band",
    "tag": "tags__slug",
    "organization": "parties__organization__slug",
    "rubric_version": "risk_summary__rubric_version__number",
}
# The search floor: the same tsquery as the reader's search, in raw SQL. If the
# reader's search uses another vector or configuration, change it HERE.
SEARCH_CONFIG = "english"

_ROWS = engines["django"].from_string(
    "<!doctype html><title>floor</title><ul>{% for r in rows %}"
    '<li><a href="/cases/{{ r.0 }}/">{{ r.1 }}</a> {{ r.2 }} {{ r.3 }} {{ r.4 }}</li>'
    "{% endfor %}</ul>"
)
_CASE = engines["django"].from_string(
    "<!doctype html><title>{{ c.0 }}</title><h1>{{ c.0 }}</h1><p>{{ c.1 }}</p><p>{{ c.3 }}</p>"
    "<div>{{ c.2|linebreaks }}</div><p>{{ c.4 }} {{ c.5 }}</p>"
)

_CASE_SQL = """
SELECT c.title, c.summary, v.narrative, v.verdict, s.risk_index, s.risk_band, v.id, v.lock_version
  FROM cases_case c
  LEFT JOIN evaluations_evaluationversion v ON v.case_id = c.id AND v.state = 'published'
  LEFT JOIN evaluations_risksummary s ON s.case_id = c.id
 WHERE c.slug = %s AND c.status = 'published'
"""


def _per_page(request: HttpRequest) -> int:
    """As many rows as the page it is the floor of shows (``n``: 20 for the archive, 25 for the API)."""
    try:
        return min(100, max(1, int(request.GET.get("n", PER_PAGE))))
    except ValueError:
        return PER_PAGE


def _archive_rows(request: HttpRequest) -> list[tuple]:
    """The rows of the first page (or, with ``last``, the last page), newest first, one query.

    The last page reads the order backwards and reverses the rows, as a keyset page does.
    """
    queryset = Case.objects.published().filter(
        **{lookup: request.GET[param] for param, lookup in FILTERS.items() if request.GET.get(param)}
    )
    n = _per_page(request)
    if request.GET.get("last"):
        return list(queryset.order_by("announced_on", "id").values_list(*ROW_FIELDS)[:n])[::-1]
    return list(queryset.order_by("-announced_on", "-id").values_list(*ROW_FIELDS)[:n])


def archive(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_ROWS.render({"rows": _archive_rows(request)}))


def api_list(request: HttpRequest) -> JsonResponse:
    rows = _archive_rows(request)
    return JsonResponse({"results": [dict(zip(ROW_FIELDS, row, strict=True)) for row in rows]})


def _case_row(slug: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(_CASE_SQL, [slug])
        row = cursor.fetchone()
    if row is None:
        raise Http404
    return row


def case(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse(_CASE.render({"c": _case_row(slug)}))


def case_not_modified(request: HttpRequest, slug: str) -> HttpResponse:
    """A conditional GET answered from one query (the published version's id and lock)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v.id, v.lock_version FROM cases_case c JOIN evaluations_evaluationversion v "
            "ON v.case_id = c.id AND v.state = 'published' WHERE c.slug = %s AND c.status = 'published'",
            [slug],
        )
        row = cursor.fetchone()
    if row is None:
        raise Http404
    etag = f'"ev{row[0]}-{row[1]}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    response = HttpResponse("modified")
    response["ETag"] = etag
    return response


def api_detail(request: HttpRequest, slug: str) -> JsonResponse:
    row = _case_row(slug)
    keys = ("title", "summary", "narrative", "verdict", "risk_index", "risk_band")
    return JsonResponse(dict(zip(keys, row[:6], strict=True)))


def organization(request: HttpRequest, slug: str) -> HttpResponse:
    """The organization and its first page of published cases, in one query."""
    rows = list(
        Case.objects.published()
        .filter(parties__organization__slug=slug)
        .order_by("-announced_on", "-id")
        .values_list(*ROW_FIELDS, "parties__organization__name")[: _per_page(request)]
    )
    return HttpResponse(_ROWS.render({"rows": rows}))


def search_sql(order: str = "rank", per_page: int = PER_PAGE) -> str:
    """The floor's search: the reader's stored vector (CaseSearchDocument) and tsquery, in raw SQL.

    ``rank`` orders as the archive's search does (ts_rank, best first), ``newest``
    as the API's list does.
    """
    query = f"websearch_to_tsquery('{SEARCH_CONFIG}', %s)"
    order_by = f"ts_rank(d.vector, {query}) DESC, c.id DESC" if order == "rank" else "c.announced_on DESC, c.id DESC"
    # Ranking, like cases.search, looks at the RANK_WINDOW newest matching documents only.
    window = (
        f" AND c.id IN (SELECT case_id FROM cases_casesearchdocument WHERE vector @@ {query}"  # noqa: S608 - constants only
        f" ORDER BY case_id DESC LIMIT {int(RANK_WINDOW)})"
        if order == "rank"
        else ""
    )
    return (
        "SELECT c.slug, c.title, c.announced_on, NULL, NULL FROM cases_case c "  # noqa: S608 - constants only
        "JOIN cases_casesearchdocument d ON d.case_id = c.id "
        f"WHERE c.status = 'published' AND d.vector @@ {query}{window} ORDER BY {order_by} LIMIT {int(per_page)}"
    )


def search(request: HttpRequest) -> HttpResponse:
    order = "newest" if request.GET.get("order") == "newest" else "rank"
    term = request.GET.get("q", "")
    with connection.cursor() as cursor:
        cursor.execute(search_sql(order, _per_page(request)), [term, term, term] if order == "rank" else [term])
        rows = cursor.fetchall()
    return HttpResponse(_ROWS.render({"rows": rows}))
