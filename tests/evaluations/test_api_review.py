"""The review loop through the API: private comments (list, create, reply, resolve), approval
refused while a thread is open (409), reviewers, withdraw and discard; the newsroom only."""

from __future__ import annotations

import re

from evaluations.models import EvaluationVersion


def _quote(version: EvaluationVersion) -> str:
    return re.search(r"[A-Za-z]+(?: [A-Za-z]+){3}", version.narrative).group(0)


def test_comments_block_approval_until_resolved(in_review_version, editor, reviewer, reader, client_for):
    base = f"/api/v1/evaluation-versions/{in_review_version.pk}"
    rv, ed = client_for(reviewer), client_for(editor)
    quote = _quote(in_review_version)
    response = rv.post(f"{base}/comments/", {"body": "Source?", "quote": quote}, format="json")
    assert response.status_code == 201
    thread = response.json()
    assert (thread["author"], thread["quote"], thread["resolved_at"], thread["replies"]) == (
        "reviewer",
        quote,
        None,
        [],
    )
    score = in_review_version.scores.select_related("criterion", "party__organization").exclude(party=None).first()
    on_score = {"body": "Too high", "criterion": score.criterion.key, "organization": score.party.organization.slug}
    response = rv.post(f"{base}/comments/", on_score, format="json")
    assert response.status_code == 201 and response.json()["organization"] == score.party.organization.slug

    response = rv.post(f"{base}/publish/", {}, format="json")
    assert response.status_code == 409 and "2 review comments are not resolved" in str(response.json())

    reply = ed.post(f"{base}/comments/{thread['id']}/replies/", {"body": "Added"}, format="json")
    assert reply.status_code == 201 and [r["body"] for r in reply.json()["replies"]] == ["Added"]
    for comment in rv.get(f"{base}/comments/").json():
        assert ed.post(f"{base}/comments/{comment['id']}/resolve/", format="json").status_code == 200
    assert ed.post(f"{base}/comments/{thread['id']}/resolve/", format="json").status_code == 409
    assert ed.post(f"{base}/comments/{thread['id']}/replies/", {"body": "x"}, format="json").status_code == 409
    assert all(c["resolved_by"] == "editor" for c in rv.get(f"{base}/comments/").json())
    assert rv.post(f"{base}/publish/", {}, format="json").status_code == 200
    # Published: no more comments; readers never see them.
    assert rv.post(f"{base}/comments/", {"body": "late"}, format="json").status_code == 409
    for client in (client_for(None), client_for(reader)):
        assert client.get(f"{base}/comments/").status_code == 404
        assert client.get(f"{base}/reviewers/").status_code == 404
    assert "Source?" not in str(client_for(None).get(f"{base}/").json())


def test_bad_comments_are_400(in_review_version, reviewer, client_for):
    base = f"/api/v1/evaluation-versions/{in_review_version.pk}"
    client = client_for(reviewer)
    for body in (
        {"body": ""},
        {"body": "x", "quote": "nowhere in the text at all"},
        {"body": "x", "criterion": "nope"},
        {"body": "x", "organization": "not-a-party"},
        {"body": "x" * 10_001},
        {"body": ["x"]},
    ):
        assert client.post(f"{base}/comments/", body, format="json").status_code == 400, body
    assert client.post(f"{base}/comments/999999/resolve/", format="json").status_code == 404
    assert client.post(f"{base}/comments/999999/replies/", {"body": "x"}, format="json").status_code == 404


def test_reviewers_withdraw_and_discard(in_review_version, editor, editor2, reviewer, admin_user, client_for):
    base = f"/api/v1/evaluation-versions/{in_review_version.pk}"
    ed = client_for(editor)
    response = ed.post(f"{base}/reviewers/", {"reviewer": "admin"}, format="json")
    assert response.status_code == 201 and response.json()["reviewer"] == "admin"
    assert ed.post(f"{base}/reviewers/", {"reviewer": "admin"}, format="json").status_code == 400
    assert ed.post(f"{base}/reviewers/", {"reviewer": "nobody"}, format="json").status_code == 400
    assert [a["reviewer"] for a in ed.get(f"{base}/reviewers/").json()] == ["admin"]
    assert client_for(editor2).post(f"{base}/withdraw/", {}, format="json").status_code == 403
    response = ed.post(f"{base}/withdraw/", {"comment": "one more"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "draft"
    assert ed.post(f"{base}/discard/", {}, format="json").status_code == 403
    response = client_for(reviewer).post(f"{base}/discard/", {}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "discarded"
    assert client_for(reviewer).post(f"{base}/discard/", {}, format="json").status_code == 409
    assert client_for(None).get(f"{base}/").status_code == 404
