"""core.cache.touch_many: one pipelined round trip on Redis, also through django.core.cache.cache (a proxy)."""

from __future__ import annotations

import time

from django.core.cache.backends.locmem import LocMemCache
from django.utils.connection import ConnectionProxy

from core.cache import ForgivingRedisCache, touch_many


def test_the_default_cache_proxy_reaches_the_backends_one_round_trip(monkeypatch):
    backend = ForgivingRedisCache("redis://127.0.0.1:1/0", {})  # never connected: the calls are recorded
    calls = []
    monkeypatch.setattr(ForgivingRedisCache, "touch_many", lambda self, keys, timeout: calls.append((keys, timeout)))
    monkeypatch.setattr(ForgivingRedisCache, "touch", lambda *args, **kwargs: calls.append("one key"))
    touch_many(ConnectionProxy({"default": backend}, "default"), ["a", "b", "c"], 30)
    assert calls == [(["a", "b", "c"], 30)]


def test_another_backend_touches_key_by_key():
    backend = LocMemCache("touch-many-test", {})
    backend.set("a", 1, timeout=5)
    touch_many(backend, ["a", "missing"], 300)
    assert backend.get("a") == 1 and backend.get("missing") is None
    assert backend._expire_info[backend.make_and_validate_key("a")] > time.time() + 100  # was 5 s
