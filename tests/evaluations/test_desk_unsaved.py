"""Unsaved work: edit forms ask before leaving (static/js/desk-unsaved.js) and watch the draft's
last-save marker, a newsroom-only JSON endpoint; the save itself stays lock-checked server-side."""

from __future__ import annotations

import pytest
from django.test import Client

from evaluations.services import workflow
from tests.support.payloads import version_payload


def marker_url(version) -> str:
    return f"/desk/versions/{version.pk}/saved.json"


def test_the_marker_says_who_saved_when_and_the_lock(draft_version, editor, editor2, django_assert_num_queries):
    client = Client()
    client.force_login(editor)
    first = client.get(marker_url(draft_version))
    assert first.status_code == 200 and first["Cache-Control"] == "private, no-store"
    assert first.json()["lock_version"] == draft_version.lock_version
    assert first["ETag"] == draft_version.etag == first.json()["etag"]
    saved = workflow.evaluation_version_save(
        version=draft_version, by=editor2, expected_lock=draft_version.lock_version, narrative="Theirs."
    )
    with django_assert_num_queries(6):  # session, user, group and user permissions, the version, its last revision
        body = client.get(marker_url(draft_version)).json()
    assert body["lock_version"] == saved.lock_version != first.json()["lock_version"]
    assert body["saved_by"] == "editor2" and body["saved_at"] and body["state"] == "draft"


@pytest.mark.parametrize("who, status", [("reader", 403), (None, 302)])
def test_the_marker_is_newsroom_only(draft_version, request, who, status):
    client = Client()
    if who:
        client.force_login(request.getfixturevalue(who))
    response = client.get(marker_url(draft_version))
    assert response.status_code == status
    assert b"lock_version" not in response.content


def test_an_unknown_version_is_404_and_a_post_405(demo, editor):
    client = Client()
    client.force_login(editor)
    assert client.get("/desk/versions/999999/saved.json").status_code == 404
    assert client.post("/desk/versions/999999/saved.json").status_code == 405


def test_edit_pages_carry_the_script_and_their_watch(draft_version, editor):
    client = Client()
    client.force_login(editor)
    page = client.get(f"/desk/versions/{draft_version.pk}/edit/").content.decode()
    assert '<script src="/static/js/desk-unsaved.js" defer></script>' in page
    assert f'data-watch="{marker_url(draft_version)}"' in page and "data-unsaved" in page
    facts = client.get(f"/desk/cases/{draft_version.case_id}/edit/").content.decode()
    assert f'data-watch="{marker_url(draft_version)}"' in facts
    # No inline script anywhere: the CSP (script-src 'self') would block it.
    assert "<script>" not in page and "onbeforeunload" not in page


def test_the_change_note_says_it_is_public(draft_version, editor):
    client = Client()
    client.force_login(editor)
    page = client.get(f"/desk/versions/{draft_version.pk}/edit/").content.decode()
    assert "Change note (public)" in page and "readers see it" in page


def test_a_stale_save_is_still_refused_without_the_script(draft_version, editor, editor2):
    """The notice is a courtesy: the lock (If-Match on the API, the form's lock on the desk) refuses."""
    client = Client()
    client.force_login(editor)
    loaded = draft_version.lock_version
    workflow.evaluation_version_save(version=draft_version, by=editor2, expected_lock=loaded, narrative="Theirs.")
    data = version_payload(draft_version, narrative="Mine.", lock_version=loaded)
    response = client.post(f"/desk/versions/{draft_version.pk}/edit/", data)
    assert response.status_code == 409
    draft_version.refresh_from_db()
    assert draft_version.narrative == "Theirs."
