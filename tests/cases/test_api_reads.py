"""Public reads: cases with every filter, ordering and the cursor; detail; history;
organizations; rubrics; what drafts look like to each role; query counts; ETags."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case
from evaluations.models import EvaluationVersion, RiskSummary
from evaluations.services import rubric_versions, workflow
from tests.support.content import checklist_cleared

ROLES = ["anonymous", "reader", "editor", "editor2", "reviewer", "admin"]


def slugs(response) -> list[str]:
    return [row["slug"] for row in response.json()["results"]]


def test_case_list_is_published_cases_for_every_role(demo, roles, client_for, editor):
    draft = services_case_draft(editor)
    for role in ROLES:
        response = client_for(roles[role]).get("/api/v1/cases/")
        assert response.status_code == 200
        assert draft.slug not in slugs(response)
        assert len(response.json()["results"]) == Case.objects.published().count()


def services_case_draft(editor) -> Case:
    from datetime import date

    from cases.services import CaseInput, case_create

    return case_create(
        by=editor, data=CaseInput(title="A secret deal", summary="Not yet.", announced_on=date(2026, 1, 1))
    )


def test_filters(demo, api_client):
    published = Case.objects.published()
    xai = api_client.get("/api/v1/cases/", {"organization": "xai"})
    assert set(slugs(xai)) == set(published.filter(parties__organization__slug="xai").values_list("slug", flat=True))
    assert slugs(xai)
    lease = api_client.get("/api/v1/cases/", {"deal_type": "compute_lease"})
    assert set(slugs(lease)) == set(published.filter(deal_types__slug="compute_lease").values_list("slug", flat=True))
    after = api_client.get("/api/v1/cases/", {"announced_after": "2025-01-01", "announced_before": "2025-12-31"})
    assert set(slugs(after)) == set(published.filter(announced_on__year=2025).values_list("slug", flat=True))
    high = api_client.get("/api/v1/cases/", {"risk_band": "high"})
    assert set(slugs(high)) == set(published.filter(risk_summary__risk_band="high").values_list("slug", flat=True))
    ranged = api_client.get("/api/v1/cases/", {"risk_min": 50, "risk_max": 80})
    assert all(50 <= row["risk_index"] <= 80 for row in ranged.json()["results"])
    assert ranged.json()["results"]
    classified = api_client.get("/api/v1/cases/", {"classification": "dependency_risk"})
    assert set(slugs(classified)) == set(
        published.filter(risk_summary__party_figures__classification="dependency_risk").values_list("slug", flat=True)
    )
    assert slugs(api_client.get("/api/v1/cases/", {"rubric_version": 1}))
    assert slugs(api_client.get("/api/v1/cases/", {"rubric_version": 2})) == []
    search = api_client.get("/api/v1/cases/", {"search": "Colossus"})
    assert "xai-anthropic-colossus-1" in slugs(search)
    assert slugs(api_client.get("/api/v1/cases/", {"search": "zzzz-nothing-like-this"})) == []


def test_tag_filter(demo, api_client, editor):
    from cases.models import Tag

    case = Case.objects.published().first()
    case.tags.add(Tag.objects.create(name="Memphis", slug="memphis"))
    assert slugs(api_client.get("/api/v1/cases/", {"tag": "memphis"})) == [case.slug]


BAD_FILTERS = [
    {"announced_after": "not-a-date"},
    {"risk_band": "purple"},
    {"risk_min": "lots"},
    {"deal_type": "no-such"},
]


def test_bad_filter_values_are_400(demo, api_client):
    for params in BAD_FILTERS:
        response = api_client.get("/api/v1/cases/", params)
        assert response.status_code == 400
        assert set(response.json()) == set(params)


ORDERINGS = [
    "announced_on",
    "-announced_on",
    "risk_index",
    "-risk_index",
    "title",
    "-title",
]


def test_ordering_and_cursor_walk_every_case_once(demo, api_client):
    for ordering in ORDERINGS:
        seen, values = [], []
        url, params = "/api/v1/cases/", {"ordering": ordering, "page_size": 4}
        while url:
            response = api_client.get(url, params)
            assert response.status_code == 200
            body = response.json()
            seen += slugs(response)
            field = ordering.lstrip("-")
            values += [row[field] if row[field] is not None else -1 for row in body["results"]]
            url, params = body["next"], None
        assert sorted(seen) == sorted(Case.objects.published().values_list("slug", flat=True))
        assert len(seen) == len(set(seen))
        assert values == sorted(values, reverse=ordering.startswith("-"))


def test_bad_cursor_is_404(demo, api_client):
    assert api_client.get("/api/v1/cases/", {"cursor": "garbage"}).status_code == 404


def test_case_detail(published_case, api_client):
    response = api_client.get(f"/api/v1/cases/{published_case.slug}/")
    assert response.status_code == 200
    body = response.json()
    assert {p["organization"] for p in body["parties"]} == set(
        published_case.parties.values_list("organization__slug", flat=True)
    )
    assert all(p["organization_name"] and p["role"] for p in body["parties"])
    assert body["sources"] and body["timeline"]
    version = body["current_version"]
    assert version["state"] == "published" and version["number"] == 1
    assert version["narrative"] and "<p>" in version["narrative_html"]
    assert version["scores"] and all("rationale" in s and "criterion" in s for s in version["scores"])
    assert version["annotations"]
    summary = body["risk_summary"]
    for field in ("risk_index", "risk_band", "rubric_version", "stale", "needs_reevaluation"):
        assert field in summary
    assert summary["rubric_version"] == 1
    assert {"organization", "leverage", "workaround", "dependency", "classification"} <= set(summary["parties"][0])


def test_narrative_html_is_sanitized(published_case, api_client, editor, reviewer):
    version = workflow.evaluation_version_start(case=published_case, by=editor)
    version = workflow.evaluation_version_save(
        version=version, by=editor, expected_lock=version.lock_version,
        narrative="Fine. <script>alert(1)</script> [x](javascript:alert(1))",
    )  # fmt: skip
    checklist_cleared(version, editor)  # the new text left the margin notes without a passage
    workflow.evaluation_version_submit(version=version, by=editor)
    workflow.evaluation_version_approve(version=version, by=reviewer)
    html = api_client.get(f"/api/v1/cases/{published_case.slug}/").json()["current_version"]["narrative_html"]
    assert "<script" not in html and 'href="javascript' not in html


def test_draft_case_detail_visible_to_the_newsroom_only(demo, roles, client_for, editor):
    draft = services_case_draft(editor)
    for role in ROLES:
        response = client_for(roles[role]).get(f"/api/v1/cases/{draft.slug}/")
        newsroom = role in ("editor", "editor2", "reviewer", "admin")
        assert response.status_code == (200 if newsroom else 404), role
        if newsroom:
            assert response.json()["status"] == "draft" and response.json()["current_version"] is None


def test_unknown_case_is_404(demo, api_client):
    assert api_client.get("/api/v1/cases/no-such-case/").status_code == 404


def test_version_history_shows_published_versions_only(published_case, roles, client_for, draft_version):
    for role in ROLES:
        _history_as(client_for(roles[role]), role, published_case, draft_version)


def _history_as(client, role, published_case, draft_version):
    history = client.get(f"/api/v1/cases/{published_case.slug}/versions/")
    assert history.status_code == 200
    assert [v["number"] for v in history.json()] == [1]
    assert client.get(f"/api/v1/cases/{published_case.slug}/versions/1/").status_code == 200
    # The draft (number 2) is not part of the public history for anyone.
    assert client.get(f"/api/v1/cases/{published_case.slug}/versions/2/").status_code == 404
    by_id = client.get(f"/api/v1/evaluation-versions/{draft_version.pk}/")
    newsroom = role in ("editor", "editor2", "reviewer", "admin")
    assert by_id.status_code == (200 if newsroom else 404)
    if newsroom:
        assert by_id["ETag"] == draft_version.etag


def _publish_second_version(case, editor, reviewer) -> EvaluationVersion:
    version = workflow.evaluation_version_start(case=case, by=editor)
    version = workflow.evaluation_version_save(
        version=version, by=editor, expected_lock=version.lock_version, narrative=version.narrative + " More now."
    )
    workflow.evaluation_version_submit(version=version, by=editor)
    return workflow.evaluation_version_approve(version=version, by=reviewer)


def test_compare(published_case, api_client, editor, reviewer):
    _publish_second_version(published_case, editor, reviewer)
    url = f"/api/v1/cases/{published_case.slug}/versions/compare/"
    response = api_client.get(url, {"a": 1, "b": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["a"] == 1 and body["b"] == 2
    assert {"op": "insert", "text": "More now."} in [
        line for line in body["narrative"] if line["op"] == "insert"
    ] or any("More now." in line["text"] for line in body["narrative"] if line["op"] == "insert")
    assert body["scores"] and not any(s["changed"] for s in body["scores"])
    history = api_client.get(f"/api/v1/cases/{published_case.slug}/versions/").json()
    assert [(v["number"], v["state"]) for v in history] == [(2, "published"), (1, "superseded")]
    assert api_client.get(url, {"a": 1}).status_code == 400
    assert api_client.get(url, {"a": "x", "b": 2}).status_code == 400
    assert api_client.get(url, {"a": 1, "b": 9}).status_code == 404


def test_compare_never_shows_a_draft(published_case, api_client, draft_version):
    response = api_client.get(f"/api/v1/cases/{published_case.slug}/versions/compare/", {"a": 1, "b": 2})
    assert response.status_code == 404


def test_organizations(published_case, roles, client_for):
    from evaluations.services.exposures import organization_exposures_recompute

    organization = published_case.parties.first().organization
    organization_exposures_recompute(organization_ids=[organization.pk])
    for role in ROLES:
        _organizations_as(client_for(roles[role]), organization)


def _organizations_as(client, organization):
    listing = client.get("/api/v1/organizations/")
    assert listing.status_code == 200 and listing.json()["results"]
    detail = client.get(f"/api/v1/organizations/{organization.slug}/")
    assert detail.status_code == 200
    assert detail.json()["exposure"]["classification_counts"]
    assert client.get("/api/v1/organizations/nobody/").status_code == 404


def test_rubrics(demo, roles, client_for):
    from evaluations.models import RubricVersion

    active = RubricVersion.objects.get(status="active")
    rubric_versions.rubric_version_clone(version=active, by=None)  # a draft v2
    for role in ROLES:
        _rubrics_as(client_for(roles[role]), role, active)


def _rubrics_as(client, role, active):
    listing = client.get("/api/v1/rubrics/")
    assert listing.status_code == 200
    numbers = [v["number"] for v in listing.json()[0]["versions"]]
    assert numbers == ([2, 1] if role == "admin" else [1])
    slug = active.rubric.slug
    detail = client.get(f"/api/v1/rubrics/{slug}/versions/1/")
    assert detail.status_code == 200
    assert {c["key"] for c in detail.json()["criteria"]} == set(active.criteria.values_list("key", flat=True))
    assert client.get(f"/api/v1/rubrics/{slug}/versions/2/").status_code == (200 if role == "admin" else 404)
    assert client.get(f"/api/v1/rubrics/{slug}/versions/").status_code == 200
    assert client.get(f"/api/v1/rubrics/{slug}/versions/9/").status_code == 404
    assert client.get("/api/v1/rubrics/nothing/versions/1/").status_code == 404


# --- Query counts -----------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_rows(demo, api_client):
    few = _count(api_client, "/api/v1/cases/?page_size=3")
    many = _count(api_client, "/api/v1/cases/?page_size=16")
    assert few == many
    assert many <= 8


def test_detail_query_count_does_not_grow_with_rows(published_case, api_client, django_assert_max_num_queries):
    before = _count(api_client, f"/api/v1/cases/{published_case.slug}/")
    from cases.models import Source

    for n in range(5):
        Source.objects.create(case=published_case, publisher=f"P{n}", title=f"T{n}", url=f"https://example.com/{n}")
    with django_assert_max_num_queries(before):
        api_client.get(f"/api/v1/cases/{published_case.slug}/")


def test_organization_and_history_query_counts(demo, api_client, editor, reviewer, published_case):
    orgs = _count(api_client, "/api/v1/organizations/")
    history = _count(api_client, f"/api/v1/cases/{published_case.slug}/versions/")
    _publish_second_version(published_case, editor, reviewer)
    from cases.models import Organization

    Organization.objects.create(name="Extra Org", slug="extra-org", kind="investor")
    assert _count(api_client, "/api/v1/organizations/") == orgs
    assert _count(api_client, f"/api/v1/cases/{published_case.slug}/versions/") == history


# --- ETag and 304 -------------------------------------------------------------------


CONDITIONAL_URLS = [
    "/api/v1/cases/",
    "/api/v1/cases/{slug}/",
    "/api/v1/cases/{slug}/versions/",
    "/api/v1/cases/{slug}/versions/1/",
    "/api/v1/organizations/",
    "/api/v1/rubrics/",
    "/api/v1/rubrics/partnership-leverage/versions/1/",
]


def test_conditional_get(published_case, api_client):
    for url in CONDITIONAL_URLS:
        url = url.format(slug=published_case.slug)
        first = api_client.get(url)
        assert first.status_code == 200 and first["ETag"]
        again = api_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304 and again["ETag"] == first["ETag"]
        assert not again.content
        assert api_client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_case_etag_changes_when_the_case_does(published_case, api_client):
    url = f"/api/v1/cases/{published_case.slug}/"
    etag = api_client.get(url)["ETag"]
    # As the services write a case (auto_now): a reader's ETag is read from updated_at, not the body.
    Case.objects.filter(pk=published_case.pk).update(title="A new title", updated_at=timezone.now())
    response = api_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag


def test_published_version_etag_is_its_lock(published_case, api_client):
    version = EvaluationVersion.objects.get(case=published_case, state="published")
    response = api_client.get(f"/api/v1/cases/{published_case.slug}/versions/1/")
    assert response["ETag"] == version.etag
    by_id = api_client.get(f"/api/v1/evaluation-versions/{version.pk}/", HTTP_IF_NONE_MATCH=version.etag)
    assert by_id.status_code == 304


def test_stale_summary_is_reported(published_case, api_client):
    RiskSummary.objects.filter(case=published_case).update(stale=True)
    assert api_client.get(f"/api/v1/cases/{published_case.slug}/").json()["risk_summary"]["stale"] is True


def test_list_reads_a_page_in_four_queries_then_one(demo, api_client, django_assert_num_queries):
    # Cold: the cases with their summaries, then the page's parties (with organizations), deal types and tags.
    cache.clear()
    with django_assert_num_queries(4):
        cold = api_client.get("/api/v1/cases/?page_size=16")
    assert cold.status_code == 200 and len(cold.json()["results"]) == 16
    # Warm: the page's own query; every item from the cache, the same payload and validator.
    with django_assert_num_queries(1):
        warm = api_client.get("/api/v1/cases/?page_size=16")
    assert warm.json() == cold.json() and warm["ETag"] == cold["ETag"]
    with django_assert_num_queries(1):  # a page overlapping a cached one reads only its misses... none here
        assert api_client.get("/api/v1/cases/?page_size=8").status_code == 200


def test_list_items_follow_their_case_and_summary(demo, api_client):
    """A cached item is keyed on its case and the figures it shows of its summary: a change to
    either is seen at once (the stale flag alone is not shown, and changes nothing: test_row_cache)."""
    from evaluations.models import RiskSummary

    url = "/api/v1/cases/?page_size=5"
    before = api_client.get(url)
    first = before.json()["results"][0]
    case = Case.objects.get(slug=first["slug"])
    # As a recompute that comes out with a new figure writes it.
    RiskSummary.objects.filter(case=case).update(risk_index=12.5, stale=False, computed_at=timezone.now())
    after = api_client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert after.json()["results"][0]["risk_index"] == 12.5 != first["risk_index"]
    Case.objects.filter(pk=case.pk).update(title="Renamed in place", updated_at=timezone.now())
    assert api_client.get(url).json()["results"][0]["title"] == "Renamed in place"


@pytest.mark.parametrize("warm", [False, True])
def test_list_rows_are_the_full_serializers(demo, api_client, warm):
    """The list's trimmed reads (only the printed columns), built or from the cache, give what full rows give."""
    from cases.serializers import CaseListSerializer

    cache.clear()
    if warm:
        api_client.get("/api/v1/cases/?page_size=16&ordering=title")
    rows = api_client.get("/api/v1/cases/?page_size=16&ordering=title").json()["results"]
    cases = Case.objects.published().prefetch_related("parties__organization", "deal_types", "tags").order_by("title")
    expected = CaseListSerializer(cases, many=True).data
    for row, full in zip(rows, expected, strict=True):
        assert row["parties"] and row == {**full, "risk_index": row["risk_index"]}
        assert row["risk_index"] == (float(full["risk_index"]) if full["risk_index"] is not None else -1.0)
