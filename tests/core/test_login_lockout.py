"""A stranger cannot lock a known user out: per-address and per-pair locks, a bounded delay per username."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from core import throttle
from tests.support.accounts import PASSWORD

pytestmark = pytest.mark.django_db
URL = "/accounts/login/"


class Clock:
    def __init__(self, monkeypatch) -> None:
        self.now = 1_000_000.0
        monkeypatch.setattr(throttle, "_now", lambda: self.now, raising=False)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def sign_in(username: str, password: str, ip: str):
    return Client().post(URL, {"username": username, "password": password}, REMOTE_ADDR=ip)


def attack(username: str, failures: int) -> None:
    """Failures from as many addresses: neither the address nor the pair limit is reached."""
    for i in range(failures):
        throttle.login_failed(username, f"203.0.113.{i}")  # as the form does, without hashing a password


def test_a_stranger_cannot_lock_a_known_user_out(editor, clock):
    attack("editor", 40)
    # The right password from a fresh address: a short wait, then in (it was a 15-minute lock).
    response = sign_in("editor", PASSWORD, "10.0.0.50")
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS == 60
    clock.advance(wait)
    assert sign_in("editor", PASSWORD, "10.0.0.50").status_code == 302


def test_the_same_through_the_token_endpoint(editor, clock):
    attack("editor", 40)
    client = Client()
    body = {"username": "editor", "password": PASSWORD}
    response = client.post("/api/v1/auth/token/", body, content_type="application/json", REMOTE_ADDR="10.0.0.51")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.json()["detail"]
    clock.advance(int(response["Retry-After"]))
    response = client.post("/api/v1/auth/token/", body, content_type="application/json", REMOTE_ADDR="10.0.0.51")
    assert response.status_code == 200 and response.json()["token"]


def test_a_known_address_is_not_delayed_at_all(editor, clock):
    assert sign_in("editor", PASSWORD, "10.0.0.60").status_code == 302  # the editor's desk
    attack("editor", 40)
    assert throttle.login_wait_seconds("editor", "10.0.0.61") > 0  # elsewhere the delay holds
    assert sign_in("editor", PASSWORD, "10.0.0.60").status_code == 302


def test_the_username_delay_doubles_up_to_its_cap(db, clock):
    limit = settings.LOGIN_THROTTLE_USER_LIMIT
    assert [throttle.username_delay_seconds(n) for n in range(limit)] == [0] * limit
    assert [throttle.username_delay_seconds(limit + k) for k in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    attack("someone", limit + 3)
    assert throttle.login_wait_seconds("someone", "10.1.1.1") == 8
    clock.advance(5)
    assert throttle.login_wait_seconds("someone", "10.1.1.1") == 3
    # Refused attempts are not counted: asking again does not push the wait back.
    for _ in range(10):
        assert not throttle.login_attempt_allowed("someone", "10.1.1.2")
    clock.advance(3)
    assert throttle.login_attempt_allowed("someone", "10.1.1.1")


def test_the_pair_and_the_address_are_still_locked_for_the_window(editor, clock):
    for _ in range(settings.LOGIN_THROTTLE_USER_LIMIT):
        throttle.login_failed("editor", "198.51.100.9")
    clock.advance(120)  # far past the username's delay
    assert sign_in("editor", PASSWORD, "198.51.100.9").status_code == 429
    assert sign_in("editor", PASSWORD, "198.51.100.10").status_code == 302
    for i in range(settings.LOGIN_THROTTLE_IP_LIMIT):
        throttle.login_failed(f"user{i}", "198.51.100.11")
    assert throttle.login_wait_seconds("editor2", "198.51.100.11") == settings.LOGIN_THROTTLE_WINDOW_SECONDS
