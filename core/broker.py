"""The Redis broker transport, with the one fix that keeps a worker alive through a Redis outage.

Why this exists (Celery 5.7.0, kombu 5.7.0, redis-py 8.1.0): when Redis goes
away, the worker's consumer first ``collect()``s the broken connection, which
detaches the transport from its connection info (``transport.client = None``),
then ``close()``s it. Closing the consumer's channel restores the messages the
worker holds unacknowledged; the channel's connection pool is already gone,
so the restore builds a new one from the connection info, which is now
``None``: ``AttributeError: 'NoneType' object has no attribute 'hostname'``
(``restore_unacked`` -> ``_connparams``). An AttributeError is not a
connection error, nothing catches it, and the worker exits ("Unrecoverable
error"). It happens only when the worker holds unacknowledged messages (a
task running or reserved) at the moment Redis stops: an idle worker survives.
Acknowledging or rejecting a message on the old channel after the loss takes
the same path.

The fix: a channel whose connection is gone raises the transport's own
connection error instead, which every caller already handles as "Redis is
down" (the close goes on, the consumer reconnects). The messages in question
stay in Redis's unacknowledged index and come back after
CELERY_VISIBILITY_TIMEOUT if Redis kept them; the work they stood for is
queued again sooner by the sweep (the stale flags are in the database).
Selected with ``CELERY_BROKER_TRANSPORT`` (config/settings.py).
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        transport = self.connection
        if transport is None or transport.client is None:
            raise RedisConnectionError("the connection to Redis was closed (connection lost)")
        # kombu defines Channel._connparams, but mypy loses the methods after basic_cancel in its
        # analysis of kombu/transport/redis.py, so the superclass looks like it has none.
        return super()._connparams(asynchronous=asynchronous)  # type: ignore[misc]


class Transport(kombu_redis.Transport):
    Channel = Channel
