"""Sending tasks to the broker, only after the transaction commits."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Task, *args: Any) -> None:
    """Queue ``task(*args)`` once the current transaction commits.

    If the broker cannot be reached the message is dropped with a warning:
    the work it stood for is already recorded in the database (a stale flag,
    a due date), and the periodic sweep queues it again later.
    """
    transaction.on_commit(lambda: send(task, *args))


def send(task: Task, *args: Any) -> bool:
    try:
        task.apply_async(args=args, retry=False)
    except (OperationalError, RedisError, OSError) as exc:
        logger.warning("could not queue %s%r, the sweep will retry: %s", task.name, args, exc)
        return False
    return True
