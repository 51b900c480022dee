"""The admin is no second write path: organizations go through the services, published cases are read-only."""

from __future__ import annotations

import pytest

from cases.models import Case, Organization, Party, Source, TimelineEvent
from cases.search import search_document_refresh
from evaluations.models import OrganizationExposure
from evaluations.services.exposures import organization_exposures_recompute

COLOSSUS = "xai-anthropic-colossus-1"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_a_published_case_and_its_rows_are_read_only_in_the_admin(demo, admin_client):
    case = Case.objects.get(slug=COLOSSUS)
    page = admin_client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    post = admin_client.post(f"/admin/cases/case/{case.pk}/change/", {"title": "Tampered", "slug": case.slug})
    assert post.status_code == 403
    party = case.parties.first()
    assert admin_client.post(f"/admin/cases/party/{party.pk}/change/", {"role": "partner"}).status_code == 403
    assert admin_client.post(f"/admin/cases/party/{party.pk}/delete/", {"post": "yes"}).status_code == 403
    source = case.sources.first()
    assert admin_client.post(f"/admin/cases/source/{source.pk}/change/", {"title": "x"}).status_code == 403
    event = TimelineEvent.objects.filter(case=case).first()
    assert admin_client.post(f"/admin/cases/timelineevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    for model in ("party", "source", "timelineevent"):
        assert admin_client.get(f"/admin/cases/{model}/add/").status_code == 403
    case.refresh_from_db()
    assert case.title != "Tampered" and Party.objects.filter(pk=party.pk, role=party.role).exists()
    assert Source.objects.get(pk=source.pk).title == source.title


def test_a_draft_case_is_read_only_in_the_admin_too(draft_case, admin_client):
    # The desk and the API write cases (through the services); the admin offers no way around them.
    page = admin_client.get(f"/admin/cases/case/{draft_case.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    post = admin_client.post(f"/admin/cases/case/{draft_case.pk}/change/", {"title": "Tampered"})
    assert post.status_code == 403
    assert admin_client.get("/admin/cases/case/add/").status_code == 403
    party = draft_case.parties.first()
    assert admin_client.post(f"/admin/cases/party/{party.pk}/change/", {"role": "partner"}).status_code == 403
    assert Case.objects.get(pk=draft_case.pk).title == draft_case.title


def test_an_organization_renamed_in_the_admin_goes_through_the_service(
    demo, admin_client, django_capture_on_commit_callbacks
):
    xai = Organization.objects.get(slug="xai")
    anthropic = Organization.objects.get(slug="anthropic")
    organization_exposures_recompute(organization_ids=[anthropic.pk])
    case = Case.objects.get(slug=COLOSSUS)
    search_document_refresh(case.pk)
    data = {"name": "SpaceX AI", "slug": "spacex-ai", "kind": xai.kind, "description": xai.description}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/cases/organization/{xai.pk}/change/", data)
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).updated_at > case.updated_at  # cached pages and rows follow
    exposure = OrganizationExposure.objects.get(organization=anthropic)
    assert not exposure.stale
    assert "spacex-ai" in [s["slug"] for s in exposure.suppliers]
    assert "SpaceX AI" in admin_client.get("/").content.decode()  # the archive's filter choices were forgotten


def test_an_organization_added_in_the_admin_is_checked_by_the_service(db, admin_client):
    Organization.objects.create(name="Nimbus", slug="nimbus", kind="cloud_provider")
    response = admin_client.post(
        "/admin/cases/organization/add/", {"name": "NIMBUS", "slug": "nimbus-2", "kind": "cloud_provider"}, follow=True
    )
    assert b"already exists" in response.content
    assert Organization.objects.filter(name__iexact="nimbus").count() == 1


@pytest.mark.parametrize("action", ["rename", "delete"])
def test_a_deal_type_changed_in_the_admin_shows_in_the_archive_filter_at_once(
    demo, admin_client, django_capture_on_commit_callbacks, action
):
    from cases.models import DealType

    deal_type = DealType.objects.get(slug="chip_supply")
    assert ">chip supply</option>" in admin_client.get("/").content.decode()  # the filter's options, now cached
    with django_capture_on_commit_callbacks(execute=True):
        if action == "rename":
            data = {"name": "Chips & <wafers>", "slug": deal_type.slug}
            response = admin_client.post(f"/admin/cases/dealtype/{deal_type.pk}/change/", data)
        else:
            response = admin_client.post(f"/admin/cases/dealtype/{deal_type.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    page = admin_client.get("/").content.decode()
    assert ">chip supply</option>" not in page
    assert ('<option value="chip_supply">Chips &amp; &lt;wafers&gt;</option>' in page) is (action == "rename")
