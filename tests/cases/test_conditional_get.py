"""The reader's case page answers a conditional GET with 304 from one query, and only while nothing changed."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import selectors, services
from cases.facts import case_facts
from cases.models import Case, Organization
from evaluations.services import recompute
from tests.support.content import COLOSSUS, publish_facts

pytestmark = pytest.mark.django_db

URL = reverse("case-detail", kwargs={"slug": COLOSSUS})


def _etag(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response["ETag"]


def test_plain_get_sends_the_etag_the_one_query_validator_gives(client, demo):
    etag = _etag(client)
    assert etag == f'"{selectors.case_page_etag(COLOSSUS)}"'


def test_matching_etag_is_304_in_one_query(client, demo, django_assert_num_queries):
    etag = _etag(client)
    with django_assert_num_queries(1):
        response = client.get(URL, headers={"If-None-Match": etag})
    assert response.status_code == 304 and response["ETag"] == etag and not response.content
    assert client.get(URL, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_a_new_published_version_changes_the_etag(client, demo, publish_second_version):
    etag = _etag(client)
    publish_second_version()
    response = client.get(URL, headers={"If-None-Match": etag})
    assert response.status_code == 200 and response["ETag"] != etag


def test_a_recomputed_or_stale_summary_changes_the_etag(client, demo):
    case = Case.objects.get(slug=COLOSSUS)
    etag = _etag(client)
    recompute.risk_summaries_mark_stale([case.pk])
    stale = client.get(URL, headers={"If-None-Match": etag})
    assert stale.status_code == 200 and stale["ETag"] != etag
    recompute.risk_summaries_recompute(case_ids=[case.pk], queue_exposures=False)
    assert client.get(URL, headers={"If-None-Match": stale["ETag"]}).status_code == 200


@pytest.mark.parametrize("change", ["source", "timeline", "party", "organization"])
def test_edits_under_the_case_change_the_etag(client, demo, editor, reviewer, change):
    # A published case's sources, timeline and parties change with a version that carries them.
    case = Case.objects.get(slug=COLOSSUS)
    etag = _etag(client)
    facts = case_facts(case)
    if change == "source":
        source = {"publisher": "P", "title": "T", "url": "https://example.com/x"}
        publish_facts(case, editor, reviewer, sources=[*facts["sources"], source])
    elif change == "timeline":
        event = {"kind": "expanded", "occurred_on": date(2026, 6, 1).isoformat()}
        publish_facts(case, editor, reviewer, timeline=[*facts["timeline"], event])
    elif change == "party":
        other = Organization.objects.exclude(parties__case=case).first()
        publish_facts(
            case, editor, reviewer, parties=[*facts["parties"], {"organization": other.slug, "role": "partner"}]
        )
    else:
        organization = case.parties.first().organization
        services.organization_update(organization=organization, by=editor, name=organization.name + " Inc")
    assert client.get(URL, headers={"If-None-Match": etag}).status_code == 200


def test_signed_in_readers_get_no_conditional_get(client, demo, editor):
    etag = _etag(client)
    client.force_login(editor)
    response = client.get(URL, headers={"If-None-Match": etag})
    assert response.status_code == 200 and not response.has_header("ETag")


def test_unknown_or_draft_case_is_404_even_conditionally(client, demo, editor):
    etag = _etag(client)
    assert client.get("/cases/nonesuch/", headers={"If-None-Match": etag}).status_code == 404
    Case.objects.filter(slug=COLOSSUS).update(status=Case.Status.DRAFT)
    assert client.get(URL, headers={"If-None-Match": etag}).status_code == 404


def test_cached_analysis_block_follows_renames_and_new_versions(client, demo, editor, publish_second_version):
    case = Case.objects.get(slug=COLOSSUS)
    first = client.get(URL).content.decode()
    assert first == client.get(URL).content.decode()  # the second one from the cached block
    organization = case.parties.first().organization
    services.organization_update(organization=organization, by=editor, name="Renamed Org")
    page = client.get(URL).content.decode()
    assert page.count("Renamed Org") >= 2  # the parties list and the score table of the analysis
    publish_second_version(extra="\n\nA freshly published paragraph.")
    assert "A freshly published paragraph." in client.get(URL).content.decode()


def test_cached_counterparties_follow_the_exposure(client, demo, monkeypatch):
    from cases import selectors as case_selectors
    from evaluations.models import OrganizationExposure

    url = reverse("organization-detail", kwargs={"slug": "anthropic"})
    calls = []
    original = case_selectors.organization_counterparties
    monkeypatch.setattr(case_selectors, "organization_counterparties", lambda org: calls.append(org) or original(org))
    first = client.get(url).content.decode()
    assert first == client.get(url).content.decode() and len(calls) == 1  # the second from the cache
    exposure, _ = OrganizationExposure.objects.get_or_create(organization=Organization.objects.get(slug="anthropic"))
    OrganizationExposure.objects.filter(pk=exposure.pk).update(stale=not exposure.stale)
    client.get(url)
    assert len(calls) == 2  # counted again once the exposure changed


def test_cached_archive_rows_follow_summaries_and_renames(client, demo, editor, django_assert_num_queries):
    home = reverse("home")
    first = client.get(home).content.decode()
    assert client.get(home).content.decode() == first  # rows from the cache
    case = Case.objects.get(slug=COLOSSUS)
    organization = case.parties.first().organization
    services.organization_update(organization=organization, by=editor, name="Renamed For Rows")
    assert "Renamed For Rows" in client.get(home).content.decode()
    recompute.risk_summaries_mark_stale([case.pk])
    recompute.risk_summaries_recompute(case_ids=[case.pk], queue_exposures=False)
    from evaluations.models import RiskSummary

    RiskSummary.objects.filter(case=case).update(risk_band="low", computed_at=timezone.now())
    assert "low risk" in client.get(home).content.decode()


def test_cached_exposure_block_follows_the_exposure(client, demo):
    from evaluations.models import OrganizationExposure

    organization = Organization.objects.get(slug="anthropic")
    exposure, _ = OrganizationExposure.objects.get_or_create(organization=organization)
    OrganizationExposure.objects.filter(pk=exposure.pk).update(
        computed_at=timezone.now(),
        stale=False,
        suppliers=[{"slug": "xai", "name": "First Supplier", "deals": 1, "share": 1}],
    )
    url = reverse("organization-detail", kwargs={"slug": "anthropic"})
    assert "First Supplier" in client.get(url).content.decode()
    OrganizationExposure.objects.filter(pk=exposure.pk).update(
        computed_at=timezone.now(), suppliers=[{"slug": "xai", "name": "Second Supplier", "deals": 1, "share": 1}]
    )
    page = client.get(url).content.decode()
    assert "Second Supplier" in page and "First Supplier" not in page
