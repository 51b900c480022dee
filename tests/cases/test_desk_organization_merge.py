"""The desk's screen for merging two organizations created for one company, through the merge service."""

from __future__ import annotations

import pytest

from cases.models import Organization, OrganizationAlias, Party
from evaluations.models import AuditEntry, OrganizationExposure, PartyFigure

pytestmark = pytest.mark.django_db
URL = "/desk/organizations/merge/"


def _ids(source: str, target: str) -> dict[str, int]:
    return {
        "source": Organization.objects.get(slug=source).pk,
        "target": Organization.objects.get(slug=target).pk,
    }


def test_only_who_may_merge_sees_the_screen(demo, client, editor, reviewer, admin_user):
    for user in (editor, reviewer):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert "Merge two organizations" not in client.get("/desk/organizations/").content.decode()
        response = client.post(URL, _ids("google", "alphabet"))
        assert response.status_code == 403 and Organization.objects.filter(slug="google").exists()
    client.force_login(admin_user)
    assert 'href="/desk/organizations/merge/"' in client.get("/desk/organizations/").content.decode()
    assert client.get(URL).status_code == 200


def test_preview_says_what_moves_then_confirm_merges_audits_and_redirects(
    demo, client, admin_user, django_capture_on_commit_callbacks
):
    google = Organization.objects.get(slug="google")
    parties = Party.objects.filter(organization=google).count()
    figures = PartyFigure.objects.filter(organization=google).count()
    cases = Party.objects.filter(organization=google).values("case").distinct().count()
    client.force_login(admin_user)
    preview = client.get(URL, _ids("google", "alphabet"))
    body = preview.content.decode()
    assert preview.status_code == 200
    assert f"<strong>{cases}</strong> case" in body and f"{parties} part" in body
    assert f"<strong>{figures}</strong> risk-summary figure" in body
    assert "/organizations/google/</code> redirects to <code>/organizations/alphabet/" in body
    assert "exposure" in body and 'name="source"' in body
    assert Organization.objects.filter(slug="google").exists()  # looking writes nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, _ids("google", "alphabet"))
    assert response.status_code == 302 and response["Location"] == "/desk/organizations/"
    assert not Organization.objects.filter(slug="google").exists()
    alphabet = Organization.objects.get(slug="alphabet")
    assert PartyFigure.objects.filter(organization=alphabet).count() >= figures
    assert OrganizationAlias.objects.filter(organization=alphabet, name="Google").exists()
    assert not OrganizationExposure.objects.filter(organization_id=google.pk).exists()
    entry = AuditEntry.objects.get(action="merge")
    assert (entry.actor, entry.from_state, entry.to_state) == (admin_user, "google", "alphabet")
    assert client.get("/organizations/google/")["Location"] == "/organizations/alphabet/"
    assert client.get("/organizations/google/suppliers/")["Location"] == "/organizations/alphabet/suppliers/"
    groups = client.get("/organizations/google/suppliers/compute-groups/")
    assert groups.status_code == 301 and groups["Location"] == "/organizations/alphabet/suppliers/compute-groups/"
    assert "merged into" in client.get("/desk/organizations/", follow=True).content.decode()


def test_refusals_are_form_errors_and_write_nothing(demo, client, admin_user):
    client.force_login(admin_user)
    same = client.post(URL, _ids("google", "google"))
    assert same.status_code == 400 and "Pick two different organizations" in same.content.decode()
    shared = client.get(URL, _ids("xai", "anthropic"))
    body = shared.content.decode()
    assert shared.status_code == 200 and "Both are parties to" in body
    assert 'method="post"' not in body.split("preview-h")[1]  # nothing to confirm
    refused = client.post(URL, _ids("xai", "anthropic"))
    assert refused.status_code == 400 and "Both are parties to" in refused.content.decode()
    unknown = client.post(URL, {"source": "999999", "target": "1"})
    assert unknown.status_code == 400
    assert Organization.objects.filter(slug__in=["xai", "google"]).count() == 2
    assert not AuditEntry.objects.filter(action="merge").exists()


def test_preview_query_count_is_fixed(demo, client, admin_user, django_assert_num_queries):
    client.force_login(admin_user)
    client.get(URL, _ids("google", "alphabet"))
    with django_assert_num_queries(15):
        client.get(URL, _ids("google", "alphabet"))
    with django_assert_num_queries(15):
        client.get(URL, _ids("openai", "microsoft"))
