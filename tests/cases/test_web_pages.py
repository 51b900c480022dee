"""Relationships, merging, the graph, the organization's paths and drift, and deals side by side,
through the services and over HTTP, on the demo corpus: nothing unpublished reaches a reader."""

from __future__ import annotations

import io
from datetime import date

import networkx as nx
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases import relationships, web_selectors
from cases.models import Case, Organization, OrganizationRelationship, Party
from evaluations.models import AuditEntry, OrganizationExposure, PartyFigure

pytestmark = pytest.mark.django_db
COLOSSUS = "xai-anthropic-colossus-1"


def _input(subject: Organization, parent: Organization, **extra) -> relationships.RelationshipInput:
    return relationships.RelationshipInput(
        subject_id=subject.pk,
        parent_id=parent.pk,
        kind=extra.pop("kind", "controlled_by"),
        started_on=extra.pop("started_on", date(2024, 1, 1)),
        source_publisher="Example",
        source_title="A filing",
        source_url="https://example.com/filing",
        **extra,
    )


def _compute_groups(slug: str) -> list[str]:
    exposure = OrganizationExposure.objects.get(organization__slug=slug)
    return [g["name"] for g in exposure.independent_paths["compute"]["groups"]]


def test_demo_carries_the_merger_and_anthropics_groups(demo):
    link = OrganizationRelationship.objects.get(subject__slug="xai", parent__slug="spacex")
    assert link.kind == "merged_into" and link.is_published and link.source_url.startswith("https://")
    assert _compute_groups("anthropic") == ["Alphabet", "Amazon", "Microsoft", "SpaceX"]


def test_relationship_service_checks_roles_audits_and_recomputes_paths(
    demo, editor, reader, django_capture_on_commit_callbacks
):
    microsoft, amazon = Organization.objects.get(slug="microsoft"), Organization.objects.get(slug="amazon")
    with pytest.raises(PermissionDenied):
        relationships.relationship_save(by=reader, data=_input(microsoft, amazon))
    with pytest.raises(ValidationError):
        relationships.relationship_save(by=editor, data=_input(amazon, amazon))
    link = relationships.relationship_save(by=editor, data=_input(microsoft, amazon))
    entry = AuditEntry.objects.get(action="relationship", subject="organization:microsoft")
    assert entry.actor == editor and entry.to_state == "unpublished" and "controlled by Amazon" in entry.comment
    # Unpublished: the figures do not use it.
    assert "Microsoft" in _compute_groups("anthropic")
    with django_capture_on_commit_callbacks(execute=True):
        relationships.relationship_save(by=editor, relationship=link, data=_input(microsoft, amazon, is_published=True))
    assert _compute_groups("anthropic") == ["Amazon", "Alphabet", "SpaceX"]  # Amazon now holds two deals
    paths = OrganizationExposure.objects.get(organization__slug="anthropic").independent_paths["compute"]
    assert paths["count"] == 3 and paths["suppliers"] == 4
    with django_capture_on_commit_callbacks(execute=True):
        relationships.relationship_delete(by=editor, relationship=link)
    assert "Microsoft" in _compute_groups("anthropic")
    assert AuditEntry.objects.filter(action="relationship").count() == 3


def test_aliases_match_names_for_the_desk(demo, editor):
    found = web_selectors.organizations_matching(["aws", "Amazon Web Services,", "character ai", "Nobody Inc", "XAI"])
    assert {name: org.slug if org else None for name, org in found.items()} == {
        "aws": "amazon",
        "Amazon Web Services,": "amazon",
        "character ai": "characterai",
        "Nobody Inc": None,
        "XAI": "xai",
    }
    relationships.alias_add(by=editor, organization=Organization.objects.get(slug="openai"), name="Open AI LP")
    assert web_selectors.organizations_matching(["open ai lp"])["open ai lp"].slug == "openai"
    with pytest.raises(ValidationError):
        relationships.alias_add(by=editor, organization=Organization.objects.get(slug="openai"), name="AWS")


def test_merge_moves_everything_redirects_and_is_audited(
    demo, admin_user, editor, client, django_capture_on_commit_callbacks
):
    google, alphabet = Organization.objects.get(slug="google"), Organization.objects.get(slug="alphabet")
    google_parties = Party.objects.filter(organization=google).count()
    google_figures = PartyFigure.objects.filter(organization=google).count()
    with pytest.raises(PermissionDenied):
        relationships.organization_merge(by=editor, source=google, target=alphabet)
    with django_capture_on_commit_callbacks(execute=True):
        relationships.organization_merge(by=admin_user, source=google, target=alphabet)
    assert not Organization.objects.filter(slug="google").exists()
    assert Party.objects.filter(organization=alphabet).count() == google_parties
    assert PartyFigure.objects.filter(organization=alphabet).count() == google_figures
    assert not OrganizationRelationship.objects.filter(subject=alphabet, parent=alphabet).exists()
    assert web_selectors.organizations_matching(["Google Cloud", "google"]) == {
        "Google Cloud": alphabet,
        "google": alphabet,
    }
    entry = AuditEntry.objects.get(action="merge")
    assert (entry.from_state, entry.to_state, entry.actor) == ("google", "alphabet", admin_user)
    assert f"{google_parties} parties" in entry.comment
    response = client.get("/organizations/google/")
    assert response.status_code == 301 and response["Location"] == "/organizations/alphabet/"
    assert client.get("/organizations/google/graph/")["Location"] == "/organizations/alphabet/graph/"
    assert client.get("/organizations/alphabet/").status_code == 200
    assert "Alphabet" in [s["name"] for s in OrganizationExposure.objects.get(organization__slug="anthropic").suppliers]


def test_merge_refuses_two_parties_of_one_case(demo, admin_user):
    with pytest.raises(ValidationError, match="Both are parties"):
        relationships.organization_merge(
            by=admin_user,
            source=Organization.objects.get(slug="xai"),
            target=Organization.objects.get(slug="anthropic"),
        )


def test_graph_pages_and_api(demo, client):
    page = client.get("/graph/")
    assert page.status_code == 200 and b"<svg" in page.content and b"graph-edges" in page.content
    data = client.get("/api/v1/graph/").json()
    assert {"nodes", "edges", "total_nodes"} <= set(data)
    names = {n["name"] for n in data["nodes"]}
    assert {"Anthropic", "xAI", "OpenAI"} <= names
    collapsed = client.get("/api/v1/graph/?collapse=1").json()
    assert "SpaceX" in {n["name"] for n in collapsed["nodes"]} and "xAI" not in {n["name"] for n in collapsed["nodes"]}
    graphml = client.get("/api/v1/graph.graphml")
    assert graphml["Content-Type"].startswith("application/graphml+xml")
    parsed = nx.read_graphml(io.BytesIO(graphml.content))
    assert parsed.number_of_nodes() == len(data["nodes"]) and parsed.number_of_edges() == len(data["edges"])
    near = client.get("/api/v1/organizations/anthropic/graph/").json()
    assert "Anthropic" in {n["name"] for n in near["nodes"]}
    assert nx.read_graphml(io.BytesIO(client.get("/api/v1/organizations/anthropic/graph.graphml").content))
    filtered = client.get("/api/v1/graph/?type=licensing_acquihire").json()
    assert filtered["edges"] and all("licences" in e["flows"] for e in filtered["edges"])
    assert client.get("/graph/?from=not-a-year").status_code == 400
    assert client.get("/api/v1/graph/?classification=nonsense").status_code == 400
    assert client.get("/organizations/anthropic/graph/?type=compute_lease&collapse=1").status_code == 200


def test_organization_page_shows_paths_relationships_and_drift(demo, client):
    body = client.get("/organizations/xai/").content.decode()
    assert "Independent paths" in body and "merged into" in body and "Business model over time" in body
    body = client.get("/organizations/anthropic/").content.decode()
    assert "4 independent groups" in body and "SpaceX" in body
    api = client.get("/api/v1/organizations/anthropic/web/").json()
    assert api["independent_paths"]["compute"]["count"] == 4
    assert [y["year"] for y in api["drift"]["years"]] == [2023, 2025, 2026]


def test_comparison_page_and_api(demo, client):
    slugs = f"{COLOSSUS},microsoft-openai,apple-openai-chatgpt"
    page = client.get(f"/compare/?cases={slugs}")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('scope="col"><a href="/cases/') == 3 and "Verdict" in body
    api = client.get(f"/api/v1/compare/?cases={slugs}").json()
    assert [c["slug"] for c in api["cases"]] == slugs.split(",")
    assert all(len(row["cells"]) == 3 for row in api["criteria"])
    assert {p["name"] for p in api["cases"][0]["parties"]} == {"xAI", "Anthropic"}
    assert client.get("/compare/?cases=one-only").status_code == 400
    assert client.get("/api/v1/compare/?cases=a,b,c,d,e,f,g").status_code == 400
    case_page = client.get(f"/cases/{COLOSSUS}/").content.decode()
    assert "Similar deals" in case_page and "shares Anthropic" in case_page


# --- Leaks ---------------------------------------------------------------------------


@pytest.fixture
def secrets(demo, editor):
    """A draft deal with an unpublished organization, and an unpublished relationship."""
    secret_org = Organization.objects.create(name="Secret Lab", slug="secret-lab", kind="model_lab")
    draft = Case.objects.create(
        title="Secret compute deal", slug="secret-deal", summary="s", announced_on=date(2026, 3, 1)
    )
    Party.objects.create(case=draft, organization=secret_org, role="customer")
    Party.objects.create(case=draft, organization=Organization.objects.get(slug="anthropic"), role="provider")
    relationships.relationship_save(
        by=editor,
        data=_input(Organization.objects.get(slug="amazon"), Organization.objects.get(slug="microsoft"), note="Hush"),
    )
    return draft


LEAK_URLS = [
    "/graph/",
    "/graph/?collapse=1",
    "/organizations/anthropic/graph/",
    "/organizations/amazon/graph/?collapse=1",
    "/organizations/amazon/",
    "/organizations/anthropic/",
    f"/cases/{COLOSSUS}/",
    "/api/v1/graph/",
    "/api/v1/graph/?collapse=1",
    "/api/v1/graph.graphml",
    "/api/v1/organizations/anthropic/graph/",
    "/api/v1/organizations/anthropic/graph.graphml",
    "/api/v1/organizations/amazon/web/",
    "/api/v1/organizations/anthropic/web/",
]


@pytest.mark.parametrize("url", LEAK_URLS)
def test_nothing_unpublished_leaks(secrets, client, url):
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    for secret in ("Secret Lab", "secret-lab", "Secret compute deal", "secret-deal", "Hush"):
        assert secret not in body
    assert "Amazon controlled by Microsoft" not in body  # the unpublished link
    assert "controlled_by" not in body


@pytest.mark.parametrize(
    "url",
    [
        "/organizations/secret-lab/graph/",
        "/api/v1/organizations/secret-lab/graph/",
        "/api/v1/organizations/secret-lab/graph.graphml",
        "/api/v1/organizations/secret-lab/web/",
    ],
)
def test_unpublished_organizations_are_not_found(secrets, client, url):
    assert client.get(url).status_code == 404


def test_drafts_cannot_be_compared(secrets, client):
    for url in (f"/compare/?cases={COLOSSUS},secret-deal", f"/api/v1/compare/?cases={COLOSSUS},secret-deal"):
        response = client.get(url)
        assert response.status_code == 400
        assert "Secret compute deal" not in response.content.decode()


# --- Query counts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/graph/", 2),  # the stamp (one query), the deal types
        ("/graph/?collapse=1&type=compute_lease", 3),
        ("/organizations/anthropic/graph/", 3),
        ("/organizations/anthropic/", 4),  # rows, drift, paths and counterparties from the cache
        (f"/compare/?cases={COLOSSUS},microsoft-openai,apple-openai-chatgpt", 7),
        (f"/compare/?cases={COLOSSUS},microsoft-openai", 7),
        ("/api/v1/graph/", 1),
        ("/api/v1/organizations/anthropic/web/", 3),
    ],
)
def test_fixed_query_counts(demo, client, django_assert_num_queries, url, queries):
    """Warm caches: the graph's stamp, the filters' vocabulary and the page's own reads, whatever the rows."""
    client.get(url)
    with django_assert_num_queries(queries):
        client.get(url)


def test_admin_records_a_relationship_through_the_service(demo, admin_user, client, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    microsoft, amazon = Organization.objects.get(slug="microsoft"), Organization.objects.get(slug="amazon")
    form = {
        "subject": microsoft.pk,
        "parent": amazon.pk,
        "kind": "controlled_by",
        "started_on": "2024-01-01",
        "started_precision": "day",
        "source_publisher": "Example",
        "source_title": "A filing",
        "source_url": "https://example.com/filing",
        "is_published": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/cases/organizationrelationship/add/", form)
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="relationship", actor=admin_user, to_state="published").exists()
    assert "Microsoft" not in _compute_groups("anthropic")


# --- Picking cases to compare from the archive -------------------------------------------


def test_archive_rows_offer_compare_ticks_for_a_plain_get_form(demo, client):
    body = client.get("/").content.decode()
    assert '<form method="get" action="/compare/" id="compare-form"' in body
    published = list(Case.objects.published().values_list("slug", flat=True))
    ticks = body.count('form="compare-form" name="cases"')
    assert ticks == min(len(published), 20)
    assert f'name="cases" value="{COLOSSUS}"' in body
    organization = client.get("/organizations/anthropic/").content.decode()
    assert 'id="compare-form"' in organization and 'form="compare-form" name="cases"' in organization


def test_ticked_cases_arrive_as_repeated_parameters(demo, client):
    """What the archive's form sends: one ``cases`` per tick."""
    response = client.get("/compare/", {"cases": [COLOSSUS, "microsoft-openai"]})
    assert response.status_code == 200
    assert response.content.decode().count('scope="col"><a href="/cases/') == 2
    assert f"?cases={COLOSSUS},microsoft-openai" in response.content.decode()  # the share link


@pytest.mark.parametrize(
    ("picked", "status", "message"),
    [
        (0, 200, "Pick between 2 and 6 cases to compare."),
        (1, 400, "You picked 1 case: pick between 2 and 6 to compare."),
        (7, 400, "You picked 7 cases: pick between 2 and 6 to compare."),
    ],
)
def test_too_few_or_too_many_ticks_say_so(demo, client, picked, status, message):
    slugs = list(Case.objects.published().order_by("slug").values_list("slug", flat=True)[:picked])
    response = client.get("/compare/", {"cases": slugs} if slugs else {})
    assert response.status_code == status
    assert message in response.content.decode()
    assert 'href="/"' in response.content.decode()  # back to the archive


def test_drafts_are_never_offered_for_comparison(secrets, client):
    for url in ("/", "/organizations/anthropic/", "/?search=secret"):
        assert 'value="secret-deal"' not in client.get(url).content.decode()
    response = client.get("/compare/", {"cases": [COLOSSUS, "secret-deal"]})
    assert response.status_code == 400 and "Secret compute deal" not in response.content.decode()
