"""The graph's bounds (issue 18): a hand-built web with more counterparties than the page draws.

The hub has six counterparties, one step out, with 6, 5, ... 1 deals each; the
heaviest of them has four partners of its own (two steps out), with 4, 3, 2, 1
deals. With the bounds lowered to 3 and 2, the neighbourhood draws the hub, its
three heaviest counterparties and the two heaviest partners two steps out, and
says how many it left out; the layout runs once per change of the graph stamp.
"""

from __future__ import annotations

from datetime import date
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import graph
from cases.models import Case, Organization, OrganizationRelationship, Party

pytestmark = pytest.mark.django_db
_serial = count(1)


def _org(name: str) -> Organization:
    return Organization.objects.create(name=name, slug=name.lower().replace(" ", "-"), kind="model_lab")


def _deal(supplier: Organization, receiver: Organization, *, value: int | None = None, status="published") -> Case:
    n = next(_serial)
    case = Case.objects.create(
        title=f"Deal {n}",
        slug=f"deal-{n}",
        summary="A hand-built deal.",
        announced_on=date(2025, 1, 1 + n % 28),
        value_low_usd=value,
        status=status,
    )
    Party.objects.create(case=case, organization=supplier, role="provider")
    Party.objects.create(case=case, organization=receiver, role="customer", position=1)
    return case


@pytest.fixture
def web(db) -> dict[str, Organization]:
    orgs = {"hub": _org("Hub Lab")}
    for i in range(1, 7):
        orgs[f"c{i}"] = _org(f"Counter {i}")
        for _ in range(7 - i):  # Counter 1 shares 6 deals with the hub, Counter 6 one
            _deal(orgs["hub"], orgs[f"c{i}"])
    for i in range(1, 5):
        orgs[f"d{i}"] = _org(f"Far {i}")
        for _ in range(5 - i):  # Far 1 shares 4 deals with Counter 1, Far 4 one
            _deal(orgs["c1"], orgs[f"d{i}"])
    return orgs


@pytest.fixture
def small_bounds(monkeypatch):
    monkeypatch.setattr(graph, "FOCUS_STEP1", 3)
    monkeypatch.setattr(graph, "FOCUS_STEP2", 2)
    monkeypatch.setattr(graph, "MAX_NODES", 4)
    monkeypatch.setattr(graph, "MAX_EDGES", 3)


def _names(data: dict) -> set[str]:
    return {node["name"] for node in data["nodes"]}


def test_the_neighbourhood_draws_the_heaviest_and_says_how_many_it_left_out(web, small_bounds, client):
    page = client.get("/organizations/hub-lab/graph/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Showing 3 of 6 organizations one step from Hub Lab and 2 of 4 two steps out" in body
    assert "5 left out" in body
    assert 'href="/?organization=hub-lab"' in body  # every deal, complete, in the archive
    for name in ("Counter 1", "Counter 2", "Counter 3", "Far 1", "Far 2"):
        assert f">{name}</text>" in body
    for name in ("Counter 4", "Counter 6", "Far 3", "Far 4"):
        assert name not in body
    data = client.get("/api/v1/organizations/hub-lab/graph/").json()
    assert _names(data) == {"Hub Lab", "Counter 1", "Counter 2", "Counter 3", "Far 1", "Far 2"}
    assert data["steps"] == {"one_step": {"shown": 3, "total": 6}, "two_steps": {"shown": 2, "total": 4}}
    assert data["total_nodes"] == 11
    # Five links among the six drawn, three drawn: the table lists exactly what is drawn, and says so.
    assert data["total_edges"] == 5 and len(data["edges"]) == 3
    assert [(e["source"], e["target"], e["deals"]) for e in data["edges"]] == [
        ("hub-lab", "counter-1", 6),
        ("hub-lab", "counter-2", 5),
        ("hub-lab", "counter-3", 4),  # the focus's own links first: Counter 1 -> Far 1 (4 deals) waits
    ]
    drawn = "3 of the 5 links between them are drawn and listed (each organization's heaviest, then the heaviest)"
    assert f"{drawn}: 2 left out." in body
    assert body.count('<line class="graph-edge') == 3
    assert body.split("<tbody>")[1].count("<tr>") == 3


def test_the_whole_web_draws_the_heaviest_organizations(web, small_bounds, client):
    data = client.get("/api/v1/graph/").json()
    # Hub 21 deals, Counter 1 6+10, Counter 2 5, then Counter 3 and Far 1 with 4 each, no value: the lower id.
    assert _names(data) == {"Hub Lab", "Counter 1", "Counter 2", "Counter 3"}
    assert data["total_nodes"] == 11 and data["steps"] is None
    body = client.get("/graph/").content.decode()
    assert "Showing the 4 organizations with the most deals (then value) of 11: 7 left out." in body


def test_value_breaks_a_tie_in_deals():
    weights = {1: (3, 0), 2: (3, 500), 3: (4, 0), 4: (3, 500)}
    assert graph.heaviest(weights, 3) == [3, 2, 4]


def test_the_build_runs_a_fixed_number_of_queries_whatever_the_web(web, client):
    def cold_queries(url: str) -> int:
        from django.core.cache import cache

        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    urls = ["/graph/", "/graph/?collapse=1", "/organizations/hub-lab/graph/", "/api/v1/graph/"]
    before = [cold_queries(url) for url in urls]
    for i in range(7, 12):  # more counterparties, more deals
        extra = _org(f"Counter {i}")
        for _ in range(3):
            _deal(web["hub"], extra)
            _deal(extra, web["d1"])
    assert [cold_queries(url) for url in urls] == before


@pytest.mark.parametrize(("url", "queries"), [("/organizations/hub-lab/graph/", 3), ("/graph/", 2)])
def test_warm_pages_run_fixed_queries(web, client, django_assert_num_queries, url, queries):
    """Warm: the organization (neighbourhood only), the graph stamp and the deal types, nothing else."""
    client.get(url)
    with django_assert_num_queries(queries):
        client.get(url)


def test_a_warm_request_does_not_lay_out_again_until_the_stamp_moves(web, client, monkeypatch):
    calls = []
    real = graph.layout

    def counting(built):
        calls.append(len(built.nodes))
        return real(built)

    drawn = []
    real_svg = graph.svg

    def counting_svg(*args, **kwargs):
        drawn.append(1)
        return real_svg(*args, **kwargs)

    monkeypatch.setattr(graph, "layout", counting)
    monkeypatch.setattr(graph, "svg", counting_svg)
    for url in ("/organizations/hub-lab/graph/", "/api/v1/organizations/hub-lab/graph/"):
        client.get(url)
    assert len(calls) == 1  # the page and the API share the cached graph
    warm = client.get("/organizations/hub-lab/graph/?utm=x")
    assert len(calls) == 1 and len(drawn) == 1  # neither laid out nor drawn again: the drawing is cached too
    assert b"<svg" in warm.content and warm.content.count(b"<tr>") == 11  # heading row and ten links
    assert b"graph/?utm=x" in warm.content  # the download links are the request's own, outside the cache
    _deal(web["hub"], web["d4"])  # a newly published deal moves the stamp
    client.get("/organizations/hub-lab/graph/")
    assert len(calls) == 2
    OrganizationRelationship.objects.create(
        subject=web["c1"],
        parent=web["hub"],
        kind="subsidiary_of",
        started_on=date(2024, 1, 1),
        source_publisher="Example",
        source_title="A filing",
        source_url="https://example.com/filing",
        is_published=True,
    )
    client.get("/organizations/hub-lab/graph/")
    assert len(calls) == 3


def test_unpublished_deals_do_not_count_or_show(web, small_bounds, client):
    secret = _org("Secret Partner")
    for _ in range(30):  # would be the heaviest counterparty by far
        _deal(web["hub"], secret, status="draft")
    for url in ("/organizations/hub-lab/graph/", "/api/v1/organizations/hub-lab/graph/", "/graph/", "/api/v1/graph/"):
        body = client.get(url).content.decode()
        assert "Secret Partner" not in body and "secret-partner" not in body
    data = client.get("/api/v1/organizations/hub-lab/graph/").json()
    assert data["steps"]["one_step"]["total"] == 6
