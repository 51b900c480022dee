"""Bad input comes back as form errors with messages, never a 500, and nothing is half-written."""

from __future__ import annotations

import pytest
from django.test import Client

from cases.models import Case, Organization
from evaluations.services import workflow
from tests.support.payloads import case_payload, version_payload


@pytest.fixture
def ed(demo, editor) -> Client:
    client = Client()
    client.force_login(editor)
    return client


def _post_case(client: Client, **kwargs) -> str:
    before = (Case.objects.count(), Organization.objects.count())
    response = client.post("/desk/cases/new/", case_payload(**kwargs))
    assert response.status_code == 400
    assert (Case.objects.count(), Organization.objects.count()) == before
    html = response.content.decode()
    assert "Nothing was saved" in html
    return html


def test_bad_dates(ed):
    assert "Enter a valid date." in _post_case(ed, announced_on="2026-02-30")
    source = {"publisher": "P", "title": "T", "url": "https://e.com", "published_on": "yesterday"}
    assert "Enter a valid date." in _post_case(ed, sources=[{**source, "published_precision": "day"}])


def test_negative_values_and_an_upside_down_range(ed):
    html = _post_case(ed, value_low_usd="-5", capacity_mw="-1", capacity_chips="-3")
    assert html.count("Ensure this value is greater than or equal to 0.") == 3
    assert "The high end of the range is below the low end." in _post_case(
        ed, value_low_usd="5000", value_high_usd="10"
    )


def test_empty_required_fields(ed):
    html = _post_case(ed, title="", summary="", announced_on="")
    assert html.count("This field is required.") >= 3
    source = {"publisher": "", "title": "", "url": "not a url", "published_precision": "day"}
    html = _post_case(ed, sources=[source])
    assert "Enter a valid URL." in html


def test_unknown_organization_and_incomplete_party_rows(ed):
    html = _post_case(ed, parties=[{"organization": "999999", "role": "customer"}])
    assert "Select a valid choice" in html
    html = _post_case(ed, parties=[{"new_organization_name": "Orphan Labs", "role": "provider"}])
    assert "Say what kind of organization it is." in html
    html = _post_case(ed, parties=[{"note": "someone", "role": ""}])
    assert "Choose an organization, or name a new one." in html and "Choose the party&#x27;s role." in html


def test_a_new_organization_that_already_exists_is_refused_and_the_case_not_written(ed):
    # The case form matches a typed name an organization already goes by ("anthropic") to that organization,
    # so the refusal left is a new name typed on two rows: the first row's organization is created, the
    # second is refused as existing, and the first is rolled back with the case.
    parties = [
        {"new_organization_name": "Fresh Compute", "new_organization_kind": "cloud_provider", "role": "provider"},
        {"new_organization_name": "Fresh Compute", "new_organization_kind": "cloud_provider", "role": "customer"},
    ]
    html = _post_case(ed, parties=parties)
    assert "already exists" in html
    assert not Organization.objects.filter(name="Fresh Compute").exists()


def test_a_typed_name_an_organization_goes_by_is_that_organization(ed):
    # The desk's case form: "anthropic" typed as a new organization is Anthropic, not a refusal nor a second one.
    # (The worksheet, where a new organization is confirmed explicitly, still refuses it: test_desk_worksheet.)
    anthropic = Organization.objects.get(name="Anthropic")
    organizations = Organization.objects.count()
    parties = [
        {"new_organization_name": "Fresh Compute", "new_organization_kind": "cloud_provider", "role": "provider"},
        {"new_organization_name": "anthropic", "new_organization_kind": "model_lab", "role": "customer"},
    ]
    response = ed.post("/desk/cases/new/", case_payload(parties=parties))
    assert response.status_code == 302
    case = Case.objects.get(title="Nimbus leases chips to Anthropic")
    fresh = Organization.objects.get(name="Fresh Compute")
    assert Organization.objects.count() == organizations + 1  # Fresh Compute only
    assert set(case.parties.values_list("organization_id", "role")) == {
        (fresh.pk, "provider"),
        (anthropic.pk, "customer"),
    }


def test_the_same_organization_twice(ed):
    anthropic = Organization.objects.get(name="Anthropic")
    rows = [{"organization": str(anthropic.pk), "role": "customer"}] * 2
    assert "this organization is already a party" in _post_case(ed, parties=rows)


def test_score_out_of_scale_and_rationale_without_score(demo, desk_case, editor):
    client = Client()
    client.force_login(editor)
    version = workflow.evaluation_version_start(case=desk_case, by=editor)
    payload = version_payload(version, narrative="Kept?")
    party = desk_case.parties.first()
    payload[f"s-dependency-{party.pk}-value"] = "9"
    payload[f"s-margin-{party.pk}-value"] = ""
    payload[f"s-gap_filling-{party.pk}-value"] = "two"
    response = client.post(f"/desk/versions/{version.pk}/edit/", payload)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Give a score from 0 to 4." in html
    # The carried-over rationale alone would be parked; its sources need the score they back.
    assert "Sources back a score: give the score, or clear them." in html
    assert "Give a whole number from 0 to 4." in html
    assert "Kept?" in html  # the text typed stays in the form
    version.refresh_from_db()
    assert version.narrative == "" and not version.scores.exists()


def test_a_source_of_another_case_is_refused(demo, desk_case, editor):
    client = Client()
    client.force_login(editor)
    version = workflow.evaluation_version_start(case=desk_case, by=editor)
    other = Case.objects.exclude(pk=desk_case.pk).first().sources.first()
    payload = version_payload(version, narrative="x")
    party = desk_case.parties.first()
    payload[f"s-dependency-{party.pk}-sources"] = [str(other.pk)]
    response = client.post(f"/desk/versions/{version.pk}/edit/", payload)
    assert response.status_code == 400 and "is not one of the available choices" in response.content.decode()


def test_submitting_an_empty_draft_is_a_message(demo, desk_case, editor):
    client = Client()
    client.force_login(editor)
    version = workflow.evaluation_version_start(case=desk_case, by=editor)
    response = client.post(f"/desk/versions/{version.pk}/submit/")
    assert response.status_code == 400 and "score at least one criterion" in response.content.decode()


def test_editing_a_case_keeps_its_rows_and_reports_errors(demo, desk_case, editor):
    client = Client()
    client.force_login(editor)
    page = client.get(f"/desk/cases/{desk_case.pk}/edit/").content.decode()
    assert 'value="Nimbus leases chips to Anthropic"' in page and "https://example.com/nimbus" in page
    nimbus = Organization.objects.get(name="Nimbus Compute")
    anthropic = Organization.objects.get(name="Anthropic")
    parties = [
        {"organization": str(anthropic.pk), "role": "customer"},
        {"organization": str(nimbus.pk), "role": "provider", "note": "its Texas site"},
    ]
    payload = case_payload(parties=parties, title="Nimbus leases a cluster to Anthropic")
    response = client.post(f"/desk/cases/{desk_case.pk}/edit/", payload)
    assert response.status_code == 302
    desk_case.refresh_from_db()
    assert desk_case.title == "Nimbus leases a cluster to Anthropic"
    assert desk_case.parties.get(organization=nimbus).note == "its Texas site"
    response = client.post(f"/desk/cases/{desk_case.pk}/timeline/", {"kind": "expanded", "occurred_on": "2026-02-31"})
    assert response.status_code == 400 and "Enter a valid date." in response.content.decode()
    data = {"kind": "expanded", "occurred_on": "2026-06-01", "precision": "month", "note": "doubled"}
    assert client.post(f"/desk/cases/{desk_case.pk}/timeline/", data).status_code == 302
    assert desk_case.timeline.filter(kind="expanded", note="doubled").exists()


def test_organizations_are_created_and_edited_with_messages(ed):
    response = ed.post("/desk/organizations/", {"name": "Anthropic", "kind": "model_lab"})
    assert response.status_code == 400 and "already exists" in response.content.decode()
    response = ed.post("/desk/organizations/", {"name": "Tiny Lab", "kind": "nonsense"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert ed.post("/desk/organizations/", {"name": "Tiny Lab", "kind": "model_lab"}).status_code == 302
    tiny = Organization.objects.get(name="Tiny Lab")
    data = {"name": "Tiny Lab Inc", "kind": "platform", "description": "renamed"}
    assert ed.post(f"/desk/organizations/{tiny.pk}/edit/", data).status_code == 302
    tiny.refresh_from_db()
    assert (tiny.name, tiny.kind, tiny.description) == ("Tiny Lab Inc", "platform", "renamed")
    response = ed.post(f"/desk/organizations/{tiny.pk}/edit/", {"name": "Anthropic", "kind": "platform"})
    assert response.status_code == 400 and "already exists" in response.content.decode()
