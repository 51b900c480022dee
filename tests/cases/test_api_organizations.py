"""PATCH on an organization answers as GET does: no 403 that confirms an organization in the works exists."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("role", ["anonymous", "reader"])
def test_an_organization_known_only_from_drafts_is_404_like_a_missing_one(draft_case, roles, client_for, role):
    client = client_for(roles[role])
    hidden = client.patch("/api/v1/organizations/secretco/", {"description": "x"}, format="json")
    missing = client.patch("/api/v1/organizations/nobody-at-all/", {"description": "x"}, format="json")
    # A reader gets 404 for both; anonymous, 401 for both (writes need a sign-in first).
    assert hidden.status_code == missing.status_code == (404 if role == "reader" else 401)
    assert client.get("/api/v1/organizations/secretco/").status_code == 404


def test_the_newsroom_edits_it_and_a_reader_is_refused_a_published_one(draft_case, roles, client_for):
    edited = client_for(roles["editor"]).patch("/api/v1/organizations/secretco/", {"description": "x"}, format="json")
    assert edited.status_code == 200
    assert client_for(roles["reader"]).patch("/api/v1/organizations/xai/", {}, format="json").status_code == 403
