"""The organization page lists its top suppliers and supplier groups, and the full lists a page at a time.

The busiest organization at 100,000 cases has well over a thousand suppliers: the page shows
``ORGANIZATION_TOP`` of each list and one honest line for the rest, linking to the full list.
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from cases.selectors import ORGANIZATION_TOP, SUPPLY_PER_PAGE
from evaluations.models import OrganizationExposure

pytestmark = pytest.mark.django_db

MANY = 2 * SUPPLY_PER_PAGE + 30  # three pages of the full list, far past the page's bound


def _many_suppliers(slug: str = "anthropic", n: int = MANY) -> list[dict]:
    """Give the organization's exposure ``n`` compute suppliers and supplier groups, largest first
    (as the recompute writes them), shares adding up to one."""
    weights = [n - i for i in range(n)]
    total = sum(weights)
    suppliers = [
        {"slug": f"supplier-{i:03d}", "name": f"Supplier {i:03d}", "deals": weights[i], "share": weights[i] / total}
        for i in range(n)
    ]
    groups = [
        {
            "slug": s["slug"],
            "name": f"Group {i:03d}",
            "members": [{"slug": s["slug"], "name": s["name"]}],
            "deals": s["deals"],
            "share": s["share"],
        }
        for i, s in enumerate(suppliers)
    ]
    without = [{"slug": g["slug"], "name": g["name"], "count": n - 1, "hhi": 100 + i} for i, g in enumerate(groups)]
    paths = {"compute": {"groups": groups, "count": n, "suppliers": n, "hhi": 42, "without": without}}
    OrganizationExposure.objects.filter(organization__slug=slug).update(
        suppliers=suppliers, independent_paths=paths, stale=False
    )
    cache.clear()
    return suppliers


def _names(html: str, prefix: str) -> list[str]:
    return re.findall(rf"{prefix} \d\d\d", html)


def test_the_page_lists_the_top_suppliers_and_groups_and_says_what_the_rest_are(client, demo):
    suppliers = _many_suppliers()
    html = client.get(reverse("organization-detail", kwargs={"slug": "anthropic"})).content.decode()
    listed = [s["name"] for s in suppliers[:ORGANIZATION_TOP]]
    assert [n for n in dict.fromkeys(_names(html, "Supplier")) if n in listed] == listed
    assert suppliers[ORGANIZATION_TOP]["name"] not in html and suppliers[-1]["name"] not in html
    assert dict.fromkeys(_names(html, "Group")) == dict.fromkeys(f"Group {i:03d}" for i in range(ORGANIZATION_TOP))
    rest = MANY - ORGANIZATION_TOP
    percent = round(sum(s["share"] for s in suppliers[ORGANIZATION_TOP:]) * 100, 1)
    supply = reverse("organization-supply", kwargs={"slug": "anthropic"})
    groups = reverse("organization-supply-groups", kwargs={"slug": "anthropic", "resource": "compute"})
    assert f'<a href="{supply}">and {rest} more suppliers ({percent}% of supply)</a>' in html
    assert f'<a href="{groups}">and {rest} more compute supplier groups ({percent}% of supply)</a>' in html
    # The chart draws the top suppliers and the rest as one bar.
    assert f"{rest} other suppliers" in html


def test_a_short_list_has_no_more_line(client, demo):
    _many_suppliers(n=ORGANIZATION_TOP)
    html = client.get(reverse("organization-detail", kwargs={"slug": "anthropic"})).content.decode()
    assert len(set(_names(html, "Supplier"))) == ORGANIZATION_TOP
    assert "more supplier" not in html and "other supplier" not in html


def test_the_full_lists_show_every_supplier_and_group_once_a_page_at_a_time(client, demo):
    suppliers = _many_suppliers()
    for name, kwargs, prefix in (
        ("organization-supply", {"slug": "anthropic"}, "Supplier"),
        ("organization-supply-groups", {"slug": "anthropic", "resource": "compute"}, "Group"),
    ):
        url = reverse(name, kwargs=kwargs)
        seen: list[str] = []
        for page in (1, 2, 3):
            response = client.get(url, {"page": page})
            assert response.status_code == 200
            html = response.content.decode()
            seen += list(dict.fromkeys(_names(html, prefix)))
            assert ('rel="next"' in html) == (page < 3)
        assert seen == [f"{prefix} {i:03d}" for i in range(len(suppliers))]
        for bad in ("4", "0", "-1", "x", "1" * 40):
            assert client.get(url, {"page": bad}).status_code == 404, bad
    page = client.get(reverse("organization-supply", kwargs={"slug": "anthropic"})).content.decode()
    assert "Page 1 of 3" in page
    assert "Compute suppliers 1 to 100 of 230" in page
    assert (
        f"<td>{round(suppliers[0]['share'] * 100, 2)}% ({suppliers[0]['deals']} deals)</td>" in page
    )  # to a hundredth of a percent
    last = client.get(reverse("organization-supply", kwargs={"slug": "anthropic"}), {"page": 3}).content.decode()
    assert (
        "Compute suppliers 201 to 230 of 230" in last
        and f"<td>{round(suppliers[-1]['share'] * 100, 2)}% (1 deal)</td>" in last
    )
    groups = client.get(reverse("organization-supply-groups", kwargs={"slug": "anthropic", "resource": "compute"}))
    assert "concentration 100" in groups.content.decode()  # what is left without the first group
    assert client.get("/organizations/anthropic/suppliers/water-groups/").status_code == 404
    assert client.get("/organizations/no-such-org/suppliers/").status_code == 404


def test_query_counts_do_not_grow_with_the_suppliers(client, demo, django_assert_num_queries):
    _many_suppliers()
    url = reverse("organization-detail", kwargs={"slug": "anthropic"})
    # As in test_query_counts (demo data): the bound changes what is rendered, not what is read.
    with django_assert_num_queries(10):
        client.get(url)
    with django_assert_num_queries(4):
        client.get(url)
    for name, kwargs in (
        ("organization-supply", {"slug": "anthropic"}),
        ("organization-supply-groups", {"slug": "anthropic", "resource": "compute"}),
    ):
        for page in (1, 3):
            with django_assert_num_queries(2):  # the organization, the exposure's figures (a miss)
                client.get(reverse(name, kwargs=kwargs), {"page": page})
            with django_assert_num_queries(1):  # the organization: the page from the cache
                client.get(reverse(name, kwargs=kwargs), {"page": page})


def test_the_full_list_follows_the_exposure(client, demo):
    _many_suppliers()
    url = reverse("organization-supply", kwargs={"slug": "anthropic"})
    assert "Supplier 000" in client.get(url).content.decode()
    OrganizationExposure.objects.filter(organization__slug="anthropic").update(
        suppliers=[{"slug": "fresh", "name": "Fresh Supplier", "deals": 1, "share": 1.0}], stale=True
    )
    html = client.get(url).content.decode()
    assert "Fresh Supplier" in html and "Supplier 000" not in html and "out of date" in html
