"""Login throttling: too many failed sign-ins per username or per address locks them out for a while.

Counters live in the cache (Redis in production), in fixed windows that start
with the first failure. The HTML login form and the API's token view both
call these three functions, so there is one rule:

    if not login_attempt_allowed(username, ip): refuse, with LOCKED_MESSAGE
    ... authenticate ...
    login_failed(username, ip) or login_succeeded(username, ip)

A success clears the username's counter but not the address's, so one valid
account cannot be used to reset the guessing budget of an address. If the
cache is unreachable the counters read as zero (``core.cache`` degrades
rather than failing): sign-in keeps working during a Redis outage, unthrottled.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework import throttling

LOCKED_MESSAGE = (
    "Too many failed sign-in attempts for this account or from this address. Try again in {minutes} minutes."
)


def _keys(username: str | None, ip: str | None) -> list[tuple[str, int]]:
    keys = []
    if username:
        digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        keys.append((f"login-fail:user:{digest}", settings.LOGIN_THROTTLE_USER_LIMIT))
    if ip:
        keys.append((f"login-fail:ip:{ip}", settings.LOGIN_THROTTLE_IP_LIMIT))
    return keys


def login_attempt_allowed(username: str | None, ip: str | None) -> bool:
    """Whether a sign-in may be tried now for this username from this address."""
    keys = _keys(username, ip)
    counts = cache.get_many([key for key, _ in keys])
    return all((counts.get(key) or 0) < limit for key, limit in keys)


def login_failed(username: str | None, ip: str | None) -> None:
    """Count a failed sign-in against the username and the address."""
    for key, _ in _keys(username, ip):
        # add() starts the window only if none is running; incr() then counts atomically.
        cache.add(key, 0, timeout=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # the window expired between add() and incr()
            cache.add(key, 1, timeout=settings.LOGIN_THROTTLE_WINDOW_SECONDS)


def login_succeeded(username: str | None, ip: str | None) -> None:
    """A correct password: forget the username's failures (the address's stay counted)."""
    for key, _ in _keys(username, None):
        cache.delete(key)


def locked_message() -> str:
    return LOCKED_MESSAGE.format(minutes=max(1, settings.LOGIN_THROTTLE_WINDOW_SECONDS // 60))


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
