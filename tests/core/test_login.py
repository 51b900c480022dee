"""Guessing passwords: failed sign-ins lock the username and the address out for a while."""

from __future__ import annotations

import time

import pytest
from django.test import override_settings

from core import throttle
from tests.support.accounts import PASSWORD

pytestmark = pytest.mark.django_db
URL = "/accounts/login/"


def sign_in(client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(URL, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_username_from_that_address(client, editor):
    for _ in range(5):
        response = sign_in(client, "editor", "wrong")
        assert response.status_code == 200
        assert "correct username and password" in response.content.decode()
    response = sign_in(client, "editor", PASSWORD)  # the right password, from the guessing address
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    # Usernames are matched without case or padding.
    assert sign_in(client, " EDITOR", PASSWORD).status_code == 429
    # Another address is only delayed (tests/core/test_login_lockout.py), not locked for the window.
    assert 0 < throttle.login_wait_seconds("editor", "10.0.0.2") <= 1


def test_a_success_clears_the_username_counter(client, editor):
    for _ in range(4):
        sign_in(client, "editor", "wrong")
    assert sign_in(client, "editor", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        sign_in(client, "editor", "wrong")
    assert sign_in(client, "editor", PASSWORD).status_code == 302


@override_settings(LOGIN_THROTTLE_IP_LIMIT=3)
def test_an_address_guessing_many_usernames_is_locked(client, editor):
    for name in ("a", "b", "c"):
        assert sign_in(client, name, "wrong").status_code == 200
    assert sign_in(client, "editor", PASSWORD).status_code == 429
    assert sign_in(client, "editor", PASSWORD, ip="10.9.9.9").status_code == 302


def test_the_lock_ends_with_the_window(client, editor):
    with override_settings(LOGIN_THROTTLE_WINDOW_SECONDS=2):
        for _ in range(5):
            throttle.login_failed("editor", "10.0.0.1")  # fast: no password hashing
        assert sign_in(client, "editor", PASSWORD).status_code == 429
        time.sleep(2.1)
        assert sign_in(client, "editor", PASSWORD).status_code == 302


def test_functions_for_the_api_token_view(db):
    assert throttle.login_attempt_allowed("someone", "10.1.1.1")
    for _ in range(5):
        throttle.login_failed("someone", "10.1.1.1")
    assert not throttle.login_attempt_allowed("someone", "10.1.1.1")  # the pair is locked
    assert not throttle.login_attempt_allowed("someone", "10.1.1.2")  # elsewhere: a delay, just begun
    assert throttle.login_attempt_allowed("someone-else", "10.1.1.1")  # 5 < 20 per address
    throttle.login_succeeded("someone", "10.1.1.1")
    assert throttle.login_attempt_allowed("someone", "10.1.1.1")
    assert "15 minutes" in throttle.locked_message()


def test_client_address_behind_the_proxy(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8")
    settings.BEHIND_PROXY = False
    assert throttle.client_ip(request) == "10.0.0.1"
    settings.BEHIND_PROXY = True
    assert throttle.client_ip(request) == "5.6.7.8"  # the spoofable left part is ignored


def test_the_api_token_endpoint_counts_against_the_same_limits(client, editor):
    def token(password: str):
        body = {"username": "editor", "password": password}
        return client.post("/api/v1/auth/token/", body, content_type="application/json", REMOTE_ADDR="10.0.0.7")

    for _ in range(4):
        assert token("wrong").status_code == 400
    assert sign_in(client, "editor", "wrong", ip="10.0.0.8").status_code == 200  # the fifth, on the page
    response = token(PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.json()["detail"]
    assert "token" not in response.json()
