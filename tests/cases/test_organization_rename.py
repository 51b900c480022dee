"""Renaming or re-slugging an organization brings its counterparties' stored exposures up to date."""

from __future__ import annotations

import pytest
from django.db import transaction

from cases import services
from cases.models import Organization
from evaluations.models import OrganizationExposure
from evaluations.services.exposures import organization_exposures_recompute


def suppliers(slug: str) -> list[tuple[str, str]]:
    exposure = OrganizationExposure.objects.get(organization__slug=slug)
    assert not exposure.stale
    return [(s["slug"], s["name"]) for s in exposure.suppliers]


@pytest.fixture
def anthropic(demo) -> Organization:
    anthropic = Organization.objects.get(slug="anthropic")
    organization_exposures_recompute(organization_ids=[anthropic.pk])
    assert "xai" in [slug for slug, _ in suppliers("anthropic")]
    return anthropic


def test_a_renamed_supplier_is_renamed_in_its_customers_exposure(
    anthropic, editor, client, django_capture_on_commit_callbacks
):
    xai = Organization.objects.get(slug="xai")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.organization_update(organization=xai, by=editor, name="SpaceX AI", slug="spacex-ai")
        assert OrganizationExposure.objects.get(organization=anthropic).stale
    listed = suppliers("anthropic")
    assert ("spacex-ai", "SpaceX AI") in listed
    assert all(slug != "xai" for slug, _ in listed)
    page = client.get("/organizations/anthropic/").content.decode()
    assert "/organizations/spacex-ai/" in page and "/organizations/xai/" not in page


def test_an_unchanged_name_queues_nothing(anthropic, editor, django_capture_on_commit_callbacks):
    xai = Organization.objects.get(slug="xai")
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        services.organization_update(organization=xai, by=editor, description="Rockets and models.")
        assert not OrganizationExposure.objects.get(organization=anthropic).stale
