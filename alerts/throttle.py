"""How often the subscribe form may be used: per client address and per email address, in fixed windows.

Counted whether or not the address is subscribed, so a refusal says nothing
about it either. Counters live in the cache; if it is unreachable they read as
zero (``core.cache``), and the form keeps working, unthrottled.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _count(key: str) -> int:
    cache.add(key, 0, timeout=settings.ALERTS_SUBSCRIBE_WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # the window expired between add() and incr()
        cache.add(key, 1, timeout=settings.ALERTS_SUBSCRIBE_WINDOW_SECONDS)
        return 1


def subscribe_allowed_from(ip: str) -> bool:
    """Count one attempt from this client address; False once over its limit."""
    return _count(f"alerts-subscribe:ip:{ip}") <= settings.ALERTS_SUBSCRIBE_IP_LIMIT


def subscribe_allowed_to(email: str) -> bool:
    """Count one confirmation mail to this address; False once over its limit (no mail bombing)."""
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    return _count(f"alerts-subscribe:addr:{digest}") <= settings.ALERTS_SUBSCRIBE_ADDRESS_LIMIT
