"""Signing in lands the newsroom on the desk; readers with accounts keep the default; a safe ``next`` wins."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.shortcuts import resolve_url

from tests.support.accounts import PASSWORD

pytestmark = pytest.mark.django_db
URL = "/accounts/login/"


def sign_in(client, username: str, **extra):
    return client.post(URL, {"username": username, "password": PASSWORD, **extra})


@pytest.mark.parametrize("who", ["editor", "reviewer", "admin_user"])
def test_the_newsroom_lands_on_the_desk(client, request, who):
    user = request.getfixturevalue(who)
    response = sign_in(client, user.get_username())
    assert response.status_code == 302
    assert response["Location"] == "/desk/"


def test_a_reader_with_an_account_keeps_the_default_landing(client, reader):
    response = sign_in(client, "reader")
    assert response.status_code == 302
    assert response["Location"] == resolve_url(settings.LOGIN_REDIRECT_URL)


def test_a_safe_next_still_wins_and_an_unsafe_one_does_not(client, editor):
    assert sign_in(client, "editor", next="/desk/cases/")["Location"] == "/desk/cases/"
    client.logout()
    assert sign_in(client, "editor", next="https://evil.example/")["Location"] == "/desk/"


def test_a_failed_sign_in_still_answers_the_form(client, editor):
    response = client.post(URL, {"username": "editor", "password": "wrong"})
    assert response.status_code == 200
