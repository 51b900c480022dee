"""A changed password ends the user's API tokens and other sessions, whoever changes it and however."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.support.accounts import PASSWORD

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "another-long-password-77"


def token_works(key: str) -> bool:
    response = Client().get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code in (200, 401)
    return response.status_code == 200


def token_for(username: str, password: str) -> str:
    response = Client().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session and client.get("/desk/").status_code == 200


def test_set_password_and_save_revokes_the_tokens_and_a_new_one_is_issued(editor):
    old = token_for("editor", PASSWORD)
    assert token_works(old) and token_for("editor", PASSWORD) == old  # the same token while the password holds
    editor.set_password(NEW_PASSWORD)
    editor.save()
    assert not token_works(old)
    assert not Token.objects.filter(user=editor).exists()
    new = token_for("editor", NEW_PASSWORD)
    assert new != old and token_works(new)


def test_a_hash_assigned_directly_revokes_them_too(editor):
    old = token_for("editor", PASSWORD)
    editor.password = make_password(NEW_PASSWORD)
    editor.save()
    assert not token_works(old)


def test_saves_that_keep_the_password_keep_the_token(editor):
    old = token_for("editor", PASSWORD)
    editor.first_name = "Ed"
    editor.save()
    client = Client()
    assert client.post("/accounts/login/", {"username": "editor", "password": PASSWORD}).status_code == 302
    assert token_works(old)


def test_the_user_changing_their_own_password_ends_their_other_sessions_and_tokens(editor):
    old = token_for("editor", PASSWORD)
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        client.force_login(editor)
        assert signed_in(client)
    response = here.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content
    assert signed_in(here)  # the session that made the change stays
    assert not signed_in(elsewhere)
    assert not token_works(old)
    assert token_works(token_for("editor", NEW_PASSWORD))


def test_an_admin_resetting_a_password_ends_the_users_sessions_and_tokens(editor, admin_user):
    old = token_for("editor", PASSWORD)
    editors_session = Client()
    editors_session.force_login(editor)
    admin = Client()
    admin.force_login(admin_user)
    response = admin.post(
        f"/admin/auth/user/{editor.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not signed_in(editors_session)
    assert not token_works(old)
    assert token_works(token_for("editor", NEW_PASSWORD))
    assert signed_in(admin)  # the admin's own session is not touched
