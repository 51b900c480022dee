"""Sign-in throttling that guessers cannot get around and strangers cannot turn against a known user.

Counters live in the cache (Redis in production), each in a fixed window of
LOGIN_THROTTLE_WINDOW_SECONDS (15 minutes by default) that starts with its
first failure. The figures, with the default settings:

- **Per address:** LOGIN_THROTTLE_IP_LIMIT (20) failures lock that address out,
  whatever username it tries, until the window ends.
- **Per username and address:** LOGIN_THROTTLE_USER_LIMIT (5) failures lock
  that pair out until the window ends.
- **Per username alone, a delay, not a lock:** once a username has had
  LOGIN_THROTTLE_USER_LIMIT failures from anywhere, each further attempt on it
  must wait 2**(n - limit) seconds after the last failure (1, 2, 4, 8 ... s
  for the 6th, 7th, 8th ... failure), at most LOGIN_THROTTLE_MAX_DELAY_SECONDS
  (60 s). An attempt refused for waiting is not counted. A guesser spread over
  many addresses gets about one guess a minute; the right password from a
  fresh address works after at most a minute.
- **Known addresses skip the username's delay:** an address this username
  signed in from in the last LOGIN_KNOWN_ADDRESS_DAYS (30) days is not slowed
  down by failures elsewhere (the two locks above still apply to it), so
  someone hammering an editor's name does not even delay the editor at their desk.

The HTML sign-in form and the API's token view both call these functions, so
there is one rule:

    wait = login_wait_seconds(username, ip); if wait: refuse (429, Retry-After: wait)
    ... authenticate ...
    login_failed(username, ip) or login_succeeded(username, ip)

A success clears the username's and the pair's counters but not the
address's, so one valid account cannot be used to reset the guessing budget of
an address. If the cache is unreachable the counters read as zero
(``core.cache`` degrades rather than failing): sign-in keeps working during a
Redis outage, unthrottled.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework import throttling

LOCKED_MESSAGE = "Too many failed sign-in attempts for this account or from this address. Try again in {wait}."

_now = time.time  # the clock, replaceable in tests


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _user_digest(username: str) -> str:
    return _digest(username.strip().lower())


def _counted_keys(username: str | None, ip: str | None) -> list[tuple[str, int]]:
    """The hard-locking counters for this attempt, with their limits."""
    keys = []
    if ip:
        keys.append((f"login-fail:ip:{_digest(ip)}", settings.LOGIN_THROTTLE_IP_LIMIT))
        if username:
            keys.append((f"login-fail:pair:{_user_digest(username)}:{_digest(ip)}", settings.LOGIN_THROTTLE_USER_LIMIT))
    return keys


def _user_keys(username: str) -> tuple[str, str]:
    digest = _user_digest(username)
    return f"login-fail:user:{digest}", f"login-last:user:{digest}"


def _known_key(username: str, ip: str) -> str:
    return f"login-known:{_user_digest(username)}:{_digest(ip)}"


def username_delay_seconds(failures: int) -> int:
    """How long after the last failure a username with ``failures`` failures waits (0: no wait)."""
    over = failures - settings.LOGIN_THROTTLE_USER_LIMIT
    if over < 0:
        return 0
    return min(2 ** min(over, 32), settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS)


def login_wait_seconds(username: str | None, ip: str | None) -> int:
    """Seconds before a sign-in may be tried for this username from this address (0: now)."""
    keys = _counted_keys(username, ip)
    user_count_key, user_last_key = _user_keys(username) if username else (None, None)
    wanted = [key for key, _ in keys] + ([user_count_key, user_last_key] if username else [])
    if username and ip:
        wanted.append(_known_key(username, ip))
    values = cache.get_many(wanted)
    if any((values.get(key) or 0) >= limit for key, limit in keys):
        return settings.LOGIN_THROTTLE_WINDOW_SECONDS
    if not username or (ip and values.get(_known_key(username, ip))):
        return 0
    delay = username_delay_seconds(values.get(user_count_key) or 0)
    last = values.get(user_last_key)
    if not delay or last is None:
        return 0
    return max(0, math.ceil(last + delay - _now()))


def login_attempt_allowed(username: str | None, ip: str | None) -> bool:
    """Whether a sign-in may be tried now for this username from this address."""
    return login_wait_seconds(username, ip) == 0


def _count(key: str) -> None:
    # add() starts the window only if none is running; incr() then counts atomically.
    cache.add(key, 0, timeout=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # the window expired between add() and incr()
        cache.add(key, 1, timeout=settings.LOGIN_THROTTLE_WINDOW_SECONDS)


def login_failed(username: str | None, ip: str | None) -> None:
    """Count a failed sign-in against the address, the pair and the username (whose delay restarts now)."""
    for key, _ in _counted_keys(username, ip):
        _count(key)
    if username:
        count_key, last_key = _user_keys(username)
        _count(count_key)
        cache.set(last_key, _now(), timeout=settings.LOGIN_THROTTLE_WINDOW_SECONDS)


def login_succeeded(username: str | None, ip: str | None) -> None:
    """A correct password: forget the username's and the pair's failures, remember the address as known."""
    if not username:
        return
    cache.delete_many([*_user_keys(username), *(key for key, _ in _counted_keys(username, ip) if ":pair:" in key)])
    if ip:
        cache.set(_known_key(username, ip), 1, timeout=settings.LOGIN_KNOWN_ADDRESS_DAYS * 86400)


def locked_message(wait_seconds: int | None = None) -> str:
    wait = settings.LOGIN_THROTTLE_WINDOW_SECONDS if wait_seconds is None else wait_seconds
    if wait < 120:
        return LOCKED_MESSAGE.format(wait=f"{wait} second{'s' if wait != 1 else ''}")
    return LOCKED_MESSAGE.format(wait=f"{math.ceil(wait / 60)} minutes")


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind our proxy the address it appended last."""
    if settings.BEHIND_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR", "")


class ClientAddressMixin:
    """Count API requests against ``client_ip``, the app's one rule for the client address.

    DRF's own ``get_ident`` trusts X-Forwarded-For whenever it is present, so a
    client could pick a new identity on every request; ``client_ip`` reads it
    only behind our proxy (BEHIND_PROXY), and then only the part the proxy appended.
    """

    def get_ident(self, request) -> str:
        return client_ip(request)


class AnonRateThrottle(ClientAddressMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientAddressMixin, throttling.UserRateThrottle):
    pass
