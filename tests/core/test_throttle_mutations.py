"""core.throttle, rule by rule: what its mutants change must fail here (scripts/mutation).

The figures are the defaults (README): 5 failures per username and address, 20 per
address, a 900 s window, a username delay doubling from 1 s to 60 s.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import RequestFactory, override_settings

from core import throttle

LIMITS = {
    "LOGIN_THROTTLE_USER_LIMIT": 5,
    "LOGIN_THROTTLE_IP_LIMIT": 20,
    "LOGIN_THROTTLE_WINDOW_SECONDS": 900,
    "LOGIN_THROTTLE_MAX_DELAY_SECONDS": 60,
    "LOGIN_KNOWN_ADDRESS_DAYS": 30,
}


@pytest.fixture(autouse=True)
def _limits_and_clock(monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(throttle, "_now", lambda: clock[0])
    cache.clear()
    with override_settings(**LIMITS):
        yield clock
    cache.clear()


def _fail(times: int, username: str | None = "ann", ip: str | None = "10.0.0.1") -> None:
    for _ in range(times):
        throttle.login_failed(username, ip)


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(0, 0), (4, 0), (5, 1), (6, 2), (7, 4), (10, 32), (11, 60), (12, 60), (100, 60)],
)
def test_username_delay_table(failures, delay):
    assert throttle.username_delay_seconds(failures) == delay


def test_the_pair_locks_at_exactly_the_limit():
    _fail(4)
    assert throttle.login_wait_seconds("ann", "10.0.0.1") == 0
    _fail(1)
    assert throttle.login_wait_seconds("ann", "10.0.0.1") == 900
    assert not throttle.login_attempt_allowed("ann", "10.0.0.1")


def test_the_address_locks_at_exactly_its_limit_whatever_the_username():
    for n in range(19):
        throttle.login_failed(f"user{n}", "10.0.0.9")
    assert throttle.login_wait_seconds("someone", "10.0.0.9") == 0
    throttle.login_failed("user19", "10.0.0.9")
    assert throttle.login_wait_seconds("someone", "10.0.0.9") == 900
    assert throttle.login_wait_seconds(None, "10.0.0.9") == 900
    assert throttle.login_wait_seconds("someone", "10.0.0.10") == 0


def test_the_username_delay_counts_from_the_last_failure(_limits_and_clock):
    clock = _limits_and_clock
    for n in range(5):
        throttle.login_failed("ann", f"10.0.1.{n}")  # spread: no pair reaches its limit
    # 5 failures: wait 1 s after the last, from a fresh address
    assert throttle.login_wait_seconds("ann", "10.0.2.1") == 1
    assert throttle.login_wait_seconds("Ann ", "10.0.2.1") == 1  # the username is case- and space-blind
    clock[0] += 0.5
    assert throttle.login_wait_seconds("ann", "10.0.2.1") == 1  # rounded up
    clock[0] += 0.5
    assert throttle.login_wait_seconds("ann", "10.0.2.1") == 0
    throttle.login_failed("ann", "10.0.1.5")  # sixth: 2 s
    assert throttle.login_wait_seconds("ann", "10.0.2.1") == 2
    clock[0] += 5
    assert throttle.login_wait_seconds("ann", "10.0.2.1") == 0
    assert throttle.login_wait_seconds("bob", "10.0.2.1") == 0


def test_without_an_address_the_username_delay_still_applies():
    _fail(5, ip=None)
    assert throttle.login_wait_seconds("ann", None) == 1
    assert throttle.login_wait_seconds(None, None) == 0


def test_a_known_address_skips_the_username_delay_but_not_the_locks():
    throttle.login_succeeded("ann", "10.0.0.1")
    for n in range(6):
        throttle.login_failed("ann", f"10.0.3.{n}")
    assert throttle.login_wait_seconds("ann", "10.0.3.99") > 0
    assert throttle.login_wait_seconds("ann", "10.0.0.1") == 0
    _fail(5, "ann", "10.0.0.1")
    assert throttle.login_wait_seconds("ann", "10.0.0.1") == 900


def test_the_known_address_is_remembered_for_the_configured_days(monkeypatch):
    seen = {}
    real_set = cache.set

    def spy(key, value, timeout=None, **kwargs):
        seen[key] = timeout
        return real_set(key, value, timeout=timeout, **kwargs)

    monkeypatch.setattr(cache, "set", spy)
    throttle.login_succeeded("ann", "10.0.0.1")
    assert list(seen.values()) == [30 * 86400]
    throttle.login_failed("ann", "10.0.0.1")
    assert 900 in seen.values()


def test_a_success_forgets_the_username_and_the_pair_but_not_the_address():
    for n in range(15):
        throttle.login_failed(f"user{n}", "10.0.0.1")
    _fail(4, "ann", "10.0.0.1")  # 19 on the address, 4 on the pair
    throttle.login_succeeded("ann", "10.0.0.1")
    # the pair's count is gone
    assert throttle.login_wait_seconds("ann", "10.0.0.1") == 0
    # the address's count is not: one more failure from it, under any name, locks it
    throttle.login_failed("zed", "10.0.0.1")
    assert throttle.login_wait_seconds("zed", "10.0.0.1") == 900
    assert throttle.login_wait_seconds("ann", "10.0.0.1") == 900


def test_a_success_resets_the_pair_count():
    _fail(4)
    throttle.login_succeeded("ann", "10.0.0.1")
    _fail(4)
    assert throttle.login_wait_seconds("ann", "10.0.0.1") == 0
    _fail(1)
    assert throttle.login_wait_seconds("ann", "10.0.0.1") == 900


def test_a_success_resets_the_username_delay():
    for n in range(6):
        throttle.login_failed("ann", f"10.0.4.{n}")
    throttle.login_succeeded("ann", None)
    assert throttle.login_wait_seconds("ann", "10.0.5.1") == 0
    throttle.login_succeeded(None, "10.0.5.1")  # nothing to forget: no error
    throttle.login_failed(None, "10.0.5.1")
    assert throttle.login_wait_seconds("ann", "10.0.5.1") == 0


def test_the_window_starts_with_the_first_failure(monkeypatch):
    timeouts = []
    real_add = cache.add
    monkeypatch.setattr(
        cache,
        "add",
        lambda key, value, timeout=None: timeouts.append((value, timeout)) or real_add(key, value, timeout),
    )
    throttle.login_failed("ann", "10.0.0.1")
    assert timeouts and all(t == (0, 900) for t in timeouts)


def test_a_window_expiring_between_add_and_incr_counts_one(monkeypatch):
    def expired(key, delta=1, version=None):
        raise ValueError(key)

    monkeypatch.setattr(cache, "incr", expired)
    monkeypatch.setattr(
        cache, "add", lambda key, value, timeout=None: cache.set(key, value, timeout) if value == 1 else None
    )
    throttle._count("login-fail:test")
    assert cache.get("login-fail:test") == 1


@pytest.mark.parametrize(
    ("wait", "text"),
    [
        (None, "15 minutes"),
        (1, "1 second."),
        (2, "2 seconds."),
        (119, "119 seconds."),
        (120, "2 minutes"),
        (121, "3 minutes"),
        (900, "15 minutes"),
    ],
)
def test_locked_message(wait, text):
    message = throttle.locked_message(wait)
    assert message.startswith("Too many failed sign-in attempts")
    assert message.endswith(f"Try again in {text}" + ("" if text.endswith(".") else "."))


@pytest.mark.parametrize(
    ("behind_proxy", "meta", "ip"),
    [
        (False, {"REMOTE_ADDR": "1.1.1.1", "HTTP_X_FORWARDED_FOR": "9.9.9.9"}, "1.1.1.1"),
        (True, {"REMOTE_ADDR": "1.1.1.1", "HTTP_X_FORWARDED_FOR": "9.9.9.9, 8.8.8.8 "}, "8.8.8.8"),
        (True, {"REMOTE_ADDR": "1.1.1.1", "HTTP_X_FORWARDED_FOR": "9.9.9.9, ,"}, "9.9.9.9"),
        (True, {"REMOTE_ADDR": "1.1.1.1", "HTTP_X_FORWARDED_FOR": " , "}, "1.1.1.1"),
        (True, {"REMOTE_ADDR": "1.1.1.1"}, "1.1.1.1"),
        (False, {}, ""),
    ],
)
def test_client_ip(behind_proxy, meta, ip):
    request = RequestFactory().get("/")
    request.META.pop("REMOTE_ADDR", None)
    request.META.update(meta)
    with override_settings(BEHIND_PROXY=behind_proxy):
        assert throttle.client_ip(request) == ip
        assert throttle.AnonRateThrottle().get_ident(request) == ip
        assert throttle.UserRateThrottle().get_ident(request) == ip


def test_counters_are_per_digest_not_raw():
    throttle.login_failed("ann", "10.0.0.1")
    stored = getattr(cache, "_cache", None)  # the local-memory cache keeps its keys in a dict; Redis does not
    keys = list(stored) if isinstance(stored, dict) else []
    assert not any("10.0.0.1" in str(key) or "ann" in str(key) for key in keys)
    assert throttle._digest("x") != throttle._digest("y")
    assert len(throttle._digest("x")) == 32
    assert throttle._user_digest(" Ann ") == throttle._user_digest("ann")


def test_a_fresh_attempt_is_allowed():
    assert throttle.login_wait_seconds("ann", "10.0.0.1") == 0
    assert throttle.login_attempt_allowed("ann", "10.0.0.1") is True


def test_allowed_asks_about_this_address():
    throttle.login_succeeded("ann", "10.0.0.1")
    for n in range(6):
        throttle.login_failed("ann", f"10.0.6.{n}")
    assert throttle.login_attempt_allowed("ann", "10.0.0.1") is True  # known here
    assert throttle.login_attempt_allowed("ann", "10.0.6.99") is False


@override_settings(LOGIN_THROTTLE_USER_LIMIT=1, LOGIN_THROTTLE_IP_LIMIT=1)
def test_a_limit_of_one_locks_after_one_failure_not_before():
    assert throttle.login_wait_seconds("ann", "10.0.0.1") == 0
    throttle.login_failed("ann", "10.0.0.1")
    assert throttle.login_wait_seconds("ann", "10.0.0.1") == 900


def test_a_failure_count_without_its_time_does_not_delay():
    count_key, _ = throttle._user_keys("ann")
    cache.set(count_key, 10)
    assert throttle.login_wait_seconds("ann", "10.0.0.1") == 0


def test_usernames_fold_to_lower_case_not_upper():
    # "ß".upper() is "SS": folding up would count failures on "ss" against "ß"
    assert throttle._user_digest("ß") != throttle._user_digest("ss")
    assert throttle._user_digest("ANN") == throttle._user_digest("ann")


def test_a_lone_surrogate_in_a_username_is_counted_not_an_error():
    throttle.login_failed("a\ud800", "10.0.0.1")
    assert throttle._digest("a\ud800") != throttle._digest("a")
    assert len(throttle._digest("a\ud800")) == 32


def test_the_expired_window_fallback_starts_a_new_window(monkeypatch):
    seen = []

    def expired(key, delta=1, version=None):
        raise ValueError(key)

    monkeypatch.setattr(cache, "incr", expired)
    monkeypatch.setattr(cache, "add", lambda key, value, timeout="missing": seen.append((value, timeout)))
    throttle._count("login-fail:test")
    assert seen == [(0, 900), (1, 900)]
