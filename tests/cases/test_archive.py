"""The archive: filters in the URL, sorting, keyset pages, bad input."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from cases import keyset
from cases.models import Case, Organization

pytestmark = pytest.mark.django_db


def _titles(html: str) -> list[str]:
    return re.findall(r'<article class="case-row">\s*<h3><a href="[^"]+">([^<]+)</a>', html)


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_filter_by_organization_is_in_the_url_and_the_form(client, demo):
    html = client.get(reverse("home"), {"organization": "anthropic"}).content.decode()
    anthropic = Organization.objects.get(slug="anthropic")
    expected = {escape(c.title) for c in Case.objects.published().filter(parties__organization=anthropic)}
    assert set(_titles(html)) == expected
    assert '<option value="anthropic" selected>' in html
    assert '<label for="f-organization">Organization</label>' in html


def test_filters_combine(client, demo):
    html = client.get(reverse("home"), {"organization": "anthropic", "risk_band": "high"}).content.decode()
    expected = {
        escape(c.title)
        for c in Case.objects.published().filter(
            parties__organization__slug="anthropic", risk_summary__risk_band="high"
        )
    }
    assert expected and set(_titles(html)) == expected


def test_date_range_and_deal_type(client, demo):
    html = client.get(
        reverse("home"), {"announced_after": "2025-01-01", "announced_before": "2026-12-31"}
    ).content.decode()
    expected = {
        escape(c.title)
        for c in Case.objects.published().filter(announced_on__gte="2025-01-01", announced_on__lte="2026-12-31")
    }
    assert set(_titles(html)) == expected
    deal_type = Case.objects.get(slug="xai-anthropic-colossus-1").deal_types.first()
    html = client.get(reverse("home"), {"deal_type": deal_type.slug}).content.decode()
    assert escape("xAI (SpaceX) leases all of Colossus 1 to Anthropic") in html


@pytest.mark.parametrize(
    "params",
    [
        {"announced_after": "not-a-date"},
        {"risk_band": "catastrophic"},
        {"deal_type": "no-such-type"},
        {"rubric_version": "abc"},
        {"classification": "<script>"},
        {"sort": "nonsense"},
    ],
)
def test_bad_filter_values_show_form_errors_not_500(client, demo, params):
    response = client.get(reverse("home"), params)
    assert response.status_code == 200
    html = response.content.decode()
    if "sort" not in params:
        assert "Some filters could not be used" in html
    assert "<script>" not in html


def test_sorting_by_title_and_by_risk(client, demo):
    html = client.get(reverse("home"), {"sort": "title"}).content.decode()
    expected = Case.objects.published().order_by("title", "pk").values_list("title", flat=True)[:20]
    assert _titles(html) == [escape(t) for t in expected]
    html = client.get(reverse("home"), {"sort": "risk"}).content.decode()
    ordered = list(
        Case.objects.published().order_by("-risk_summary__risk_index", "-pk").values_list("title", flat=True)[:5]
    )
    assert _titles(html)[:5] == [escape(t) for t in ordered]


@pytest.fixture
def many_cases(demo):
    template = Case.objects.get(slug="xai-anthropic-colossus-1")
    cases = [
        Case(title=f"Bulk deal {n:03d}", slug=f"bulk-{n:03d}", summary="s", announced_on=f"2020-01-{n % 28 + 1:02d}",
             status="published")
        for n in range(50)
    ]  # fmt: skip
    Case.objects.bulk_create(cases)
    return template


@pytest.mark.parametrize("sort", ["newest", "oldest", "title", "risk"])
def test_keyset_walks_every_case_once_forwards_and_backwards(client, many_cases, sort):
    total = Case.objects.published().count()
    seen: list[str] = []
    url = reverse("home") + f"?sort={sort}"
    pages = []
    while url:
        html = client.get(url).content.decode()
        pages.append(html)
        seen.extend(_titles(html))
        nxt = _link(html, "next")
        url = reverse("home") + nxt if nxt else None
    assert len(seen) == total == len(set(seen))
    assert len(pages) == -(-total // 20)
    # The last page link lands on the same rows as walking there.
    last = _link(pages[0], "last")
    last_html = client.get(reverse("home") + last).content.decode()
    assert _titles(last_html)[-1] == seen[-1]
    assert _link(last_html, "next") is None and _link(last_html, "prev")
    # And back again with "previous".
    back: list[str] = []
    html = pages[-1]
    back = _titles(html) + back
    while prev := _link(html, "prev"):
        html = client.get(reverse("home") + prev).content.decode()
        back = _titles(html) + back
    assert back == seen


def test_cursor_keeps_filters(client, many_cases):
    html = client.get(reverse("home"), {"sort": "title", "announced_before": "2020-12-31"}).content.decode()
    nxt = _link(html, "next")
    assert "announced_before=2020-12-31" in nxt and "sort=title" in nxt


@pytest.mark.parametrize(
    "cursor",
    ["junk", keyset.make_cursor("next", "not-a-date", 1), "", "a" * 500],
    ids=["junk", "signed-bad-value", "empty", "long"],  # a signed cursor carries a timestamp: stable ids
)
def test_bad_cursor_is_a_400_with_the_first_page(client, demo, cursor):
    response = client.get(reverse("home"), {"cursor": cursor})
    if cursor:
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert _titles(response.content.decode())


def test_no_offset_in_page_queries(client, many_cases, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    html = client.get(reverse("home")).content.decode()
    last = _link(html, "last")
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("home") + last)
    assert not any("OFFSET" in q["sql"].upper() for q in ctx.captured_queries)


def test_each_row_shows_parties_roles_value_band_and_verdict(client, demo):
    html = client.get(reverse("home")).content.decode()
    row = html[html.index(escape("xAI (SpaceX) leases all of Colossus 1 to Anthropic")) :]
    row = row[: row.index("</article>")]
    from evaluations.models import EvaluationVersion

    verdict = EvaluationVersion.objects.get(case__slug="xai-anthropic-colossus-1", state="published").verdict
    assert escape(verdict) in row
    assert 'Anthropic</a> <span class="role">customer' in row
    assert "high risk" in row
