"""A Redis cache that degrades to a miss instead of failing the request."""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class ForgivingRedisCache(RedisCache):
    """When Redis is unreachable, reads miss and writes are dropped.

    The cache only ever holds what can be recomputed from the database, so a
    Redis outage may slow readers down but must never answer them with a 500.
    """

    def _forgive(self, method: str, default: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(super(), method)(*args, **kwargs)
        except (RedisError, OSError) as exc:
            logger.warning("cache %s failed, degrading: %s", method, exc)
            return default

    def get(self, key, default=None, version=None):
        return self._forgive("get", default, key, default, version)

    def set(self, key, value, timeout=..., version=None):
        kwargs = {"version": version} if timeout is ... else {"timeout": timeout, "version": version}
        return self._forgive("set", None, key, value, **kwargs)

    def add(self, key, value, timeout=..., version=None):
        kwargs = {"version": version} if timeout is ... else {"timeout": timeout, "version": version}
        return self._forgive("add", False, key, value, **kwargs)

    def delete(self, key, version=None):
        return self._forgive("delete", False, key, version)

    def get_many(self, keys, version=None):
        return self._forgive("get_many", {}, keys, version)

    def set_many(self, data, timeout=..., version=None):
        kwargs = {"version": version} if timeout is ... else {"timeout": timeout, "version": version}
        return self._forgive("set_many", [], data, **kwargs)

    def delete_many(self, keys, version=None):
        return self._forgive("delete_many", None, keys, version)

    def incr(self, key, delta=1, version=None):
        return self._forgive("incr", None, key, delta, version)

    def has_key(self, key, version=None):
        return self._forgive("has_key", False, key, version)

    def touch(self, key, timeout=..., version=None):
        kwargs = {"version": version} if timeout is ... else {"timeout": timeout, "version": version}
        return self._forgive("touch", False, key, **kwargs)

    def touch_many(self, keys: list[str], timeout: int) -> None:
        """Set the expiry of the keys that still exist, in one round trip; missing keys stay missing."""
        try:
            pipeline = self._cache.get_client(None, write=True).pipeline(transaction=False)
            for key in keys:
                pipeline.expire(self.make_and_validate_key(key), timeout)
            pipeline.execute()
        except (RedisError, OSError) as exc:
            logger.warning("cache touch_many failed, degrading: %s", exc)


def touch_many(cache: Any, keys: list[str], timeout: int) -> None:
    """``cache.touch`` for many keys: one round trip on Redis, a loop on the in-process cache.

    ``django.core.cache.cache`` is a proxy, never an instance of the backend's class: asked by
    attribute, which the proxy forwards (an isinstance check took the loop, a round trip a key).
    """
    many = getattr(cache, "touch_many", None)
    if many is not None:
        many(keys, timeout)
    else:
        for key in keys:
            cache.touch(key, timeout)
