"""Every desk URL, GET and POST, as each kind of user: the answer each one gets."""

from __future__ import annotations

import pytest
from django.test import Client

from cases.models import Case
from evaluations.services import workflow

COLOSSUS = "xai-anthropic-colossus-1"
ROLES = ["anonymous", "reader", "editor", "editor2", "reviewer", "admin_user"]
DESK = {"editor", "editor2", "reviewer", "admin_user"}
REVIEW = {"reviewer", "admin_user"}


def _table(case: Case, version_pk: int, note_pk: int, org_pk: int) -> list[tuple[str, str, dict, dict[str, int]]]:
    """(method, url, data, expected status for desk roles; others: anonymous 302, reader 403)."""
    every = dict.fromkeys(DESK, 200)

    def split(desk: int, review: int | None = None) -> dict[str, int]:
        return {role: (review if review is not None and role in REVIEW else desk) for role in DESK}

    c, v = f"/desk/cases/{case.pk}", f"/desk/versions/{version_pk}"
    return [
        ("get", "/desk/", {}, every),
        ("get", "/desk/cases/", {}, every),
        ("get", "/desk/cases/new/", {}, every),
        ("get", f"{c}/", {}, every),
        ("get", f"{c}/edit/", {}, every),
        ("get", f"{c}/compare/", {}, every),
        ("get", f"{c}/compare/?a=1&b=2", {}, every),
        ("get", f"{c}/history/", {}, every),
        ("get", "/desk/organizations/", {}, every),
        ("get", f"/desk/organizations/{org_pk}/edit/", {}, every),
        ("get", f"{v}/", {}, every),
        ("get", f"{v}/edit/", {}, every),
        ("get", f"{v}/saved.json", {}, every),
        ("get", "/desk/versions/999999/saved.json", {}, split(404)),
        ("get", f"{c}/timeline/0/", {}, every),
        ("get", f"{c}/timeline/999/", {}, split(404)),
        ("post", f"{c}/timeline/0/", {"kind": "king"}, split(400)),
        ("get", "/desk/versions/999999/", {}, split(404)),
        # Merging organizations: admins only (organization.merge).
        ("get", "/desk/organizations/merge/", {}, {"admin_user": 200}),
        ("post", "/desk/organizations/merge/", {"source": ""}, {"admin_user": 400}),
        # Actions are POST only; a GET is refused after the permission check.
        ("get", f"{c}/timeline/", {}, split(405)),
        ("get", f"{c}/evaluate/", {}, split(405)),
        ("get", f"{v}/submit/", {}, split(405)),
        ("get", f"{v}/send-back/", {}, split(403, 405)),
        ("get", f"{v}/approve/", {}, split(403, 405)),
        ("get", f"{v}/reschedule/", {}, split(403, 405)),
        ("get", f"{v}/unschedule/", {}, split(403, 405)),
        ("get", f"{v}/annotations/", {}, split(405)),
        ("get", f"/desk/annotations/{note_pk}/delete/", {}, split(405)),
        ("get", f"{v}/withdraw/", {}, split(405)),
        ("get", f"{v}/discard/", {}, split(403, 405)),
        ("get", f"{v}/reviewers/", {}, split(405)),
        ("get", f"{v}/comments/", {}, split(405)),
        ("get", "/desk/comments/999999/reply/", {}, split(405)),
        ("get", "/desk/comments/999999/resolve/", {}, split(405)),
        # POSTs with incomplete data: a form error for those allowed, never a write.
        ("post", "/desk/cases/new/", {}, split(400)),
        ("post", f"{c}/edit/", {}, split(400)),
        ("post", f"{c}/timeline/", {"kind": "closed"}, split(400)),
        ("post", "/desk/organizations/", {"name": ""}, split(400)),
        ("post", f"/desk/organizations/{org_pk}/edit/", {"name": "", "kind": "model_lab"}, split(400)),
        ("post", f"{v}/edit/", {"narrative": "x"}, split(400)),
        ("post", f"{v}/annotations/", {"quote": ""}, split(400)),
        ("post", f"{c}/evaluate/", {}, split(302)),  # refused with a message: a draft is open
        ("post", f"{v}/comments/", {"body": ""}, split(400)),
        ("post", f"{v}/reviewers/", {"reviewer": "x"}, split(400)),
        ("post", "/desk/comments/999999/resolve/", {}, split(404)),
        ("post", f"{v}/withdraw/", {}, {**split(403), "editor": 302}),  # its author: not in review
        ("post", f"{v}/submit/", {}, split(302)),
        ("post", f"{v}/discard/", {}, split(403, 302)),  # refused with a message: it is in review
        ("post", f"{v}/send-back/", {"comment": ""}, split(403, 400)),
        ("post", f"{v}/approve/", {"publish_at": "not a date"}, split(403, 400)),
        ("post", f"{v}/reschedule/", {"publish_at": "not a date"}, split(403, 400)),
        ("post", f"{v}/unschedule/", {}, split(403, 302)),  # refused with a message: it is not scheduled
        ("post", f"/desk/annotations/{note_pk}/delete/", {}, split(302)),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_desk_url_answers_each_role(request, demo, editor, role):
    case = Case.objects.get(slug=COLOSSUS)
    draft = workflow.evaluation_version_start(case=case, by=editor)
    note_pk = draft.annotations.first().pk
    client = Client()
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    answers = {}
    for method, url, data, expected in _table(case, draft.pk, note_pk, case.parties.first().organization_id):
        response = getattr(client, method)(url, data)
        want = expected.get(role, 302 if role == "anonymous" else 403)
        answers[(method, url)] = (response.status_code, want)
        if role == "anonymous":
            assert response["Location"].startswith("/accounts/login/?next=/desk/"), url
    wrong = {key: got for key, got in answers.items() if got[0] != got[1]}
    assert not wrong, wrong
    draft.refresh_from_db()
    if role in DESK:
        assert draft.state == "in_review" and draft.annotations.count() == 3
    else:
        assert draft.state == "draft" and draft.annotations.count() == 4
    assert case.evaluation_versions.count() == 2


def test_reader_pages_offer_the_desk_link_only_to_desk_users(demo, editor, reader):
    client = Client()
    assert "/desk/" not in client.get("/").content.decode()
    client.force_login(reader)
    assert 'href="/desk/"' not in client.get("/").content.decode()
    client.force_login(editor)
    assert 'href="/desk/"' in client.get("/").content.decode()


def test_sign_in_returns_to_the_desk_and_sign_out_goes_home(demo, editor):
    from tests.support.accounts import PASSWORD

    client = Client()
    login = client.get("/desk/")
    assert login.status_code == 302
    page = client.get(login["Location"])
    assert page.status_code == 200 and 'name="next" value="/desk/"' in page.content.decode()
    response = client.post("/accounts/login/", {"username": "editor", "password": PASSWORD, "next": "/desk/"})
    assert response.status_code == 302 and response["Location"] == "/desk/"
    assert client.get("/desk/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/desk/").status_code == 302
