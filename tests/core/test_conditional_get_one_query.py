"""Every API resource with a one-query validator answers a reader's conditional GET with 304 from that
one query, sends the same validator on a 200, and changes it whenever the content changes."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases import services
from cases.models import Case, Organization
from evaluations.models import EvaluationVersion, OrganizationExposure, RubricVersion
from evaluations.services import recompute, rubric_versions
from tests.support.content import COLOSSUS, publish_facts
from tests.support.synthetic import new_rubric_version_data

pytestmark = pytest.mark.django_db


def _urls() -> dict[str, str]:
    case = Case.objects.get(slug=COLOSSUS)
    version = EvaluationVersion.objects.get(case=case, state="published")
    organization = case.parties.first().organization
    rubric_version = RubricVersion.objects.get(status="active")
    rubric = rubric_version.rubric.slug
    return {
        "case": f"/api/v1/cases/{COLOSSUS}/",
        "organization": f"/api/v1/organizations/{organization.slug}/",
        "version": f"/api/v1/evaluation-versions/{version.pk}/",
        "case_versions": f"/api/v1/cases/{COLOSSUS}/versions/",
        "case_version": f"/api/v1/cases/{COLOSSUS}/versions/{version.number}/",
        "rubric_versions": f"/api/v1/rubrics/{rubric}/versions/",
        "rubric_version": f"/api/v1/rubrics/{rubric}/versions/{rubric_version.number}/",
    }


def _etag(api_client, url: str) -> str:
    response = api_client.get(url)
    assert response.status_code == 200 and response["ETag"], url
    return response["ETag"]


RESOURCES = ["case", "organization", "version", "case_versions", "case_version", "rubric_versions", "rubric_version"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_304_from_one_query(demo, api_client, django_assert_num_queries, resource):
    url = _urls()[resource]
    etag = _etag(api_client, url)
    assert _etag(api_client, url) == etag  # stable while nothing changes
    with django_assert_num_queries(1):
        response = api_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304 and response["ETag"] == etag and not response.content
    assert "Authorization" in response["Vary"]
    assert api_client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_unknown_or_hidden_resources_stay_404_conditionally(demo, api_client, unpublished_version):
    urls = _urls()
    etag = _etag(api_client, urls["case"])
    draft = unpublished_version("draft")
    assert api_client.get(f"/api/v1/evaluation-versions/{draft.pk}/", HTTP_IF_NONE_MATCH=draft.etag).status_code == 404
    assert api_client.get("/api/v1/cases/nonesuch/", HTTP_IF_NONE_MATCH=etag).status_code == 404
    Case.objects.filter(slug=COLOSSUS).update(status=Case.Status.DRAFT)
    for name in ("case", "case_versions", "case_version"):
        assert api_client.get(urls[name], HTTP_IF_NONE_MATCH=etag).status_code == 404, name


def test_publish_changes_the_case_and_history_etags(demo, api_client, publish_second_version):
    urls = _urls()
    before = {name: _etag(api_client, urls[name]) for name in ("case", "case_versions", "case_version")}
    publish_second_version()
    for name, etag in before.items():
        response = api_client.get(urls[name], HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200 and response["ETag"] != etag, name


def test_recompute_changes_the_case_and_organization_etags(demo, api_client):
    urls = _urls()
    case = Case.objects.get(slug=COLOSSUS)
    case_etag, organization_etag = _etag(api_client, urls["case"]), _etag(api_client, urls["organization"])
    recompute.risk_summaries_mark_stale([case.pk])
    stale = api_client.get(urls["case"], HTTP_IF_NONE_MATCH=case_etag)
    assert stale.status_code == 200 and stale["ETag"] != case_etag and stale.json()["risk_summary"]["stale"] is True
    recompute.risk_summaries_recompute(case_ids=[case.pk], queue_exposures=False)
    assert api_client.get(urls["case"], HTTP_IF_NONE_MATCH=stale["ETag"]).status_code == 200
    organization = case.parties.first().organization
    OrganizationExposure.objects.update_or_create(
        organization=organization, defaults={"computed_at": timezone.now(), "stale": False}
    )
    assert api_client.get(urls["organization"], HTTP_IF_NONE_MATCH=organization_etag).status_code == 200


def test_edits_change_the_case_and_organization_etags(demo, api_client, editor, reviewer):
    urls = _urls()
    case = Case.objects.get(slug=COLOSSUS)
    case_etag, organization_etag = _etag(api_client, urls["case"]), _etag(api_client, urls["organization"])
    publish_facts(case, editor, reviewer, title=f"{case.title} (updated)")  # a fact changes through a version
    assert api_client.get(urls["case"], HTTP_IF_NONE_MATCH=case_etag).status_code == 200
    case_etag = _etag(api_client, urls["case"])
    organization = Organization.objects.get(slug=urls["organization"].rstrip("/").rsplit("/", 1)[1])
    services.organization_update(organization=organization, by=editor, name=organization.name + " Inc")
    for name, etag in (("case", case_etag), ("organization", organization_etag)):
        response = api_client.get(urls[name], HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200 and response["ETag"] != etag, name


def test_rubric_activation_changes_the_rubric_etags(demo, api_client, admin_user):
    urls = _urls()
    before = {name: _etag(api_client, urls[name]) for name in ("rubric_versions", "rubric_version")}
    active = RubricVersion.objects.get(status="active")
    draft = rubric_versions.rubric_version_create(
        rubric=active.rubric, data=new_rubric_version_data(active), by=admin_user
    )
    # A draft is not the readers': their list keeps its validator.
    assert api_client.get(urls["rubric_versions"], HTTP_IF_NONE_MATCH=before["rubric_versions"]).status_code == 304
    rubric_versions.rubric_version_activate(version=draft, by=admin_user)
    for name, etag in before.items():
        response = api_client.get(urls[name], HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200 and response["ETag"] != etag, name
        assert response.json()  # the retired version, and the list with the new one


def test_signed_in_users_get_the_body_hash_not_the_reader_validator(demo, api_client, editor):
    url = _urls()["case"]
    reader_etag = _etag(api_client, url)
    api_client.force_login(editor)
    response = api_client.get(url, HTTP_IF_NONE_MATCH=reader_etag)
    assert response.status_code == 200 and response["ETag"] != reader_etag
    assert api_client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


# --- Lists and the other reader resources (issue 17): every one answers a 304 from one query ----------

LISTS = {
    "cases": "/api/v1/cases/",
    "cases_filtered": "/api/v1/cases/?risk_band=high&ordering=title&page_size=5",
    "organizations": "/api/v1/organizations/",
    "changes": "/api/v1/changes/",
    "rubrics": "/api/v1/rubrics/",
    "compare": f"/api/v1/cases/{COLOSSUS}/versions/compare/?a=1&b=2",
}


@pytest.mark.parametrize("resource", list(LISTS))
def test_lists_and_comparisons_answer_304_from_one_query(
    demo, api_client, django_assert_num_queries, publish_second_version, resource
):
    publish_second_version()  # a changelog entry, and two versions to compare
    url = LISTS[resource]
    first = api_client.get(url)
    assert first.status_code == 200 and first["ETag"], url
    again = api_client.get(url)
    assert again["ETag"] == first["ETag"] and again.json() == first.json()  # the same payload, warm or cold
    with django_assert_num_queries(1):
        response = api_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 304 and response["ETag"] == first["ETag"] and not response.content
    assert api_client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_list_and_changelog_etags_change_with_a_publish(demo, api_client, publish_second_version):
    before = {name: _etag(api_client, LISTS[name]) for name in ("cases", "changes")}
    publish_second_version()
    for name, etag in before.items():
        response = api_client.get(LISTS[name], HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200 and response["ETag"] != etag, name


def test_changelog_entries_follow_an_organization_rename(demo, api_client, publish_second_version, editor):
    publish_second_version()
    etag = _etag(api_client, LISTS["changes"])
    case = Case.objects.get(slug=COLOSSUS)
    organization = case.parties.first().organization
    services.organization_update(organization=organization, by=editor, name=organization.name + " Renamed")
    response = api_client.get(LISTS["changes"], HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag  # its moves name the parties


def test_rubric_list_and_comparison_etags_change(demo, api_client, admin_user, publish_second_version):
    publish_second_version()
    rubrics, compare = _etag(api_client, LISTS["rubrics"]), _etag(api_client, LISTS["compare"])
    active = RubricVersion.objects.get(status="active")
    draft = rubric_versions.rubric_version_create(
        rubric=active.rubric, data=new_rubric_version_data(active), by=admin_user
    )
    assert api_client.get(LISTS["rubrics"], HTTP_IF_NONE_MATCH=rubrics).status_code == 304  # a draft: not readers'
    rubric_versions.rubric_version_activate(version=draft, by=admin_user)
    assert api_client.get(LISTS["rubrics"], HTTP_IF_NONE_MATCH=rubrics).status_code == 200
    case = Case.objects.get(slug=COLOSSUS)
    services.organization_update(organization=case.parties.first().organization, by=admin_user, name="Other Name")
    assert api_client.get(LISTS["compare"], HTTP_IF_NONE_MATCH=compare).status_code == 200
    bad = api_client.get(f"/api/v1/cases/{COLOSSUS}/versions/compare/?a=x&b=2", HTTP_IF_NONE_MATCH=compare)
    assert bad.status_code == 400
    assert api_client.get(f"/api/v1/cases/{COLOSSUS}/versions/compare/?a=1&b=9").status_code == 404
