"""Aliases wherever an organization is looked up by name: public search, the archive's organization
filter (pages and API), the desk's organization picker. Nothing unpublished is found through one."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from cases import relationships
from cases.models import Case, Organization, Party
from tests.support.payloads import case_payload

pytestmark = pytest.mark.django_db


def _amazon_cases() -> set[str]:
    return set(
        Party.objects.filter(organization__slug="amazon", case__status=Case.Status.PUBLISHED).values_list(
            "case__slug", flat=True
        )
    )


def _api_slugs(client, **params) -> set[str]:
    response = client.get("/api/v1/cases/", params)
    assert response.status_code == 200
    return {row["slug"] for row in response.json()["results"]}


def _archive_slugs(client, **params) -> set[str]:
    response = client.get("/", params)
    assert response.status_code == 200
    return {slug for slug in Case.objects.values_list("slug", flat=True) if f'value="{slug}"' in response.text}


def test_searching_an_alias_finds_the_organizations_deals(demo, client, editor):
    amazon = _amazon_cases()
    assert len(amazon) >= 2
    # "Amzn" is in no case's text: only the alias leads to Amazon's deals.
    assert not _api_slugs(client, search="amzn")
    relationships.alias_add(by=editor, organization=Organization.objects.get(slug="amazon"), name="Amzn")
    assert _api_slugs(client, search="amzn") == amazon
    assert _archive_slugs(client, search="Amzn") == amazon
    assert amazon <= _api_slugs(client, search="AWS")
    assert amazon <= _archive_slugs(client, search='"Amazon Web Services"')
    # Only the whole query names an organization; other words still have to match.
    assert _api_slugs(client, search="amzn colossus") == set()


def test_the_organization_filter_takes_an_alias(demo, client):
    amazon = _amazon_cases()
    assert _api_slugs(client, organization="aws") == amazon == _api_slugs(client, organization="amazon")
    page = client.get("/", {"organization": "Amazon Web Services"})
    assert _archive_slugs(client, organization="Amazon Web Services") == amazon
    assert '<option value="amazon" selected>Amazon</option>' in page.text
    assert "Organization: Amazon" in page.text  # the chip names the organization, not the alias
    assert _api_slugs(client, organization="nobody-at-all") == set()


def test_the_desk_picker_lists_aliases_and_a_typed_alias_picks_the_organization(demo, client, editor):
    client.force_login(editor)
    form = client.get("/desk/cases/new/").text
    assert "Amazon (also AWS, Amazon Web Services)" in form
    assert '<datalist id="organization-names">' in form and '<option value="AWS">' in form
    organizations = Organization.objects.count()
    anthropic = Organization.objects.get(slug="anthropic")
    payload = case_payload(
        parties=[
            {"organization": str(anthropic.pk), "role": "customer"},
            {"new_organization_name": "aws", "new_organization_kind": "cloud_provider", "role": "provider"},
        ]
    )
    response = client.post("/desk/cases/new/", payload, follow=True)
    assert response.status_code == 200
    assert "“aws” is Amazon" in response.text
    assert Organization.objects.count() == organizations  # no duplicate "aws" organization
    case = Case.objects.get(title="Nimbus leases chips to Anthropic")
    assert {p.organization.slug for p in case.parties.select_related("organization")} == {"anthropic", "amazon"}


@pytest.fixture
def hidden(demo, editor):
    """An organization only a draft names, with an alias; and a draft naming Amazon."""
    secret = Organization.objects.create(name="Secret Lab", slug="secret-lab", kind="model_lab")
    relationships.alias_add(by=editor, organization=secret, name="Hushlab")
    draft = Case.objects.create(
        title="Secret compute deal", slug="secret-deal", summary="s", announced_on=date(2026, 3, 1)
    )
    Party.objects.create(case=draft, organization=secret, role="customer")
    Party.objects.create(case=draft, organization=Organization.objects.get(slug="amazon"), role="provider")
    return draft


@pytest.mark.parametrize(
    "url",
    [
        "/?search=Hushlab",
        "/?organization=hushlab",
        "/?search=AWS",
        "/?organization=aws",
        "/api/v1/cases/?search=Hushlab",
        "/api/v1/cases/?organization=Hushlab",
        "/api/v1/cases/?search=AWS",
        "/api/v1/cases/?organization=aws",
    ],
)
def test_nothing_unpublished_is_found_through_an_alias(hidden, client, url):
    response = client.get(url)
    assert response.status_code == 200
    for secret in ("Secret Lab", "secret-lab", "Secret compute deal", "secret-deal"):
        assert secret not in response.text


@pytest.mark.parametrize(
    ("params", "queries"),
    [
        ({"organization": "aws"}, 4),  # the two of the name matching, then page and count
        ({"organization": "amazon"}, 4),
        # and the headlines (the rows come from the cache like the plain archive's: their headline fills
        # a slot); PostgreSQL first asks its index how few documents match
        ({"search": "AWS"}, 5),
    ],
)
def test_alias_lookups_keep_the_archive_query_count_fixed(demo, client, django_assert_num_queries, params, queries):
    if "search" in params and connection.vendor == "postgresql":
        queries += 1
    client.get("/", params)
    with django_assert_num_queries(queries):
        client.get("/", params)
