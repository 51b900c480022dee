"""The API's side of four eyes and kept saves: a version's ``contributors``, ``POST .../publish/`` by a
contributor refused with 403, and ``GET .../revisions/`` and ``.../revisions/{number}/``."""

from __future__ import annotations

from evaluations.models import EvaluationVersion
from tests.support.content import checklist_cleared


def _patch(client, version_id, body):
    url = f"/api/v1/evaluation-versions/{version_id}/"
    etag = client.get(url)["ETag"]
    response = client.patch(url, body, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_sidestep_is_refused_through_the_api(draft_version, editor, reviewer, admin_user, client_for):
    as_reviewer, as_editor = client_for(reviewer), client_for(editor)
    party = draft_version.case.parties.select_related("organization").first()
    body = _patch(
        as_reviewer,
        draft_version.pk,
        {
            "verdict": "The reviewer's verdict",
            "scores": [{"criterion": "compute_access", "organization": party.organization.slug, "value": 1}],
        },
    )
    assert body["contributors"] == ["editor", "reviewer"]
    checklist_cleared(draft_version, editor)  # the reviewer's one score left the others unscored
    submitted = as_editor.post(f"/api/v1/evaluation-versions/{draft_version.pk}/submit/", {}, format="json")
    assert submitted.status_code == 200 and submitted.json()["contributors"] == ["editor", "reviewer"]
    response = as_reviewer.post(f"/api/v1/evaluation-versions/{draft_version.pk}/publish/", {}, format="json")
    assert response.status_code == 403
    assert "saved part of this version" in response.json()["detail"]
    assert EvaluationVersion.objects.get(pk=draft_version.pk).state == "in_review"
    published = client_for(admin_user).post(
        f"/api/v1/evaluation-versions/{draft_version.pk}/publish/", {}, format="json"
    )
    assert published.status_code == 200 and published.json()["state"] == "published"


def test_readers_see_contributors_by_display_name_never_by_login(published, editor, reviewer, client_for):
    editor.first_name, editor.last_name = "Edith", "Tor"
    editor.save()
    body = client_for(None).get(f"/api/v1/evaluation-versions/{published.pk}/").json()
    assert body["contributors"] == ["Edith Tor"]
    assert client_for(reviewer).get(f"/api/v1/evaluation-versions/{published.pk}/").json()["contributors"] == ["editor"]


def test_revisions_list_and_one_revision(draft_version, editor, editor2, client_for):
    _patch(client_for(editor2), draft_version.pk, {"narrative": "Second text.", "change_note": "shorter"})
    client = client_for(editor)
    base = f"/api/v1/evaluation-versions/{draft_version.pk}/revisions/"
    listed = client.get(base)
    assert listed.status_code == 200
    lines = listed.json()
    assert [(line["number"], line["saved_by"]) for line in lines] == [(1, "editor"), (2, "editor2")]
    assert lines[0]["saved_at"] <= lines[1]["saved_at"] and lines[1]["what"] == "narrative, change note"
    one = client.get(f"{base}2/").json()
    assert one["narrative"] == "Second text." and one["change_note"] == "shorter" and one["saved_by"] == "editor2"
    assert one["scores"] and {"criterion", "organization", "value", "rationale", "sources"} == set(one["scores"][0])
    first = client.get(f"{base}1/").json()
    assert first["narrative"] == draft_version.narrative and first["annotations"]
    assert client.get(f"{base}3/").status_code == 404
    assert client.get(f"{base}{2**40}/").status_code == 404
    assert client.get("/api/v1/evaluation-versions/999999/revisions/").status_code == 404


def test_revisions_are_the_newsrooms_only_even_of_a_published_version(published, draft_version, reader, client_for):
    for client in (client_for(None), client_for(reader)):
        for version in (published, draft_version):
            base = f"/api/v1/evaluation-versions/{version.pk}/revisions/"
            assert client.get(base).status_code == 404
            assert client.get(f"{base}1/").status_code == 404
    assert client_for(None).get(f"/api/v1/evaluation-versions/{published.pk}/").status_code == 200


def test_revisions_list_runs_a_fixed_number_of_queries(draft_version, editor, client_for, django_assert_num_queries):
    client = client_for(editor)
    base = f"/api/v1/evaluation-versions/{draft_version.pk}/revisions/"
    client.get(base)  # the token's user is read once per request: counted below
    counts = []
    for index in range(2):
        _patch(client, draft_version.pk, {"narrative": f"Text {index}."})
        with django_assert_num_queries(REVISIONS_LIST_QUERIES):
            client.get(base)
        counts.append(len(client.get(base).json()))
    assert counts == [2, 3]


# Token and user, the user's permissions, the version, the revisions.
REVISIONS_LIST_QUERIES = 5
