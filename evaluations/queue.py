"""Sending tasks to the broker, only after the transaction commits.

Losing a message is never fatal here: the work it stood for is recorded in the
database first (a stale flag, a due date) and the periodic sweep queues it
again. So sending never raises, and a request made while the same work is
already waiting in the queue is coalesced rather than doubled.

Services name the task they queue (the constants below) and never import
``evaluations.tasks``, which imports the services: the task is looked up in
the Celery app's registry when the message is sent (``apply_async`` on the
registered task, which honours eager mode, unlike ``send_task``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from core.cache import touch_many

logger = logging.getLogger(__name__)

_PENDING = "pending:{kind}:{id}"
# How long a claim holds before its message is sent (send_coalesced): longer than sending a
# sweep's batches takes, far shorter than PENDING_MARKER_SECONDS.
CLAIM_SECONDS = 20

# Task names: each task in evaluations/tasks.py declares its name from here.
RISK_SUMMARIES_RECOMPUTE = "evaluations.tasks.risk_summaries_recompute_task"
RISK_SUMMARY_RECOMPUTE = "evaluations.tasks.risk_summary_recompute_task"
ORGANIZATION_EXPOSURES_RECOMPUTE = "evaluations.tasks.organization_exposures_recompute_task"
EVALUATION_VERSIONS_PUBLISH_DUE = "evaluations.tasks.evaluation_versions_publish_due_task"
RISK_SUMMARIES_SWEEP = "evaluations.tasks.risk_summaries_sweep_task"
RISK_SUMMARIES_FANOUT = "evaluations.tasks.risk_summaries_fanout_task"
NOTIFICATION_EMAIL_SEND = "evaluations.tasks.notification_email_send_task"
NOTIFICATION_EMAILS_SWEEP = "evaluations.tasks.notification_emails_sweep_task"
TASK_NAMES = (
    RISK_SUMMARIES_RECOMPUTE,
    RISK_SUMMARY_RECOMPUTE,
    ORGANIZATION_EXPOSURES_RECOMPUTE,
    EVALUATION_VERSIONS_PUBLISH_DUE,
    RISK_SUMMARIES_SWEEP,
    RISK_SUMMARIES_FANOUT,
    NOTIFICATION_EMAIL_SEND,
    NOTIFICATION_EMAILS_SWEEP,
)


def enqueue_on_commit(task: str, *args: Any) -> None:
    """Queue the task named ``task`` with ``args`` once the current transaction commits.

    If the broker cannot be reached the message is dropped with a warning:
    the work it stood for is already recorded in the database (a stale flag,
    a due date), and the periodic sweep queues it again later.
    """
    transaction.on_commit(lambda: send(task, *args))


def send(task: str, *args: Any, countdown: float | None = None) -> bool:
    """Send the task named ``task`` now; False (logged) when the broker cannot be reached."""
    try:
        current_app.tasks[task].apply_async(args=args, retry=False, countdown=countdown or None)  # type: ignore[arg-type]  # celery takes None (no delay); the stub says float
    except (OperationalError, RedisError, OSError) as exc:
        logger.warning("could not queue %s%r, the sweep will retry: %s", task, args, exc)
        return False
    return True


def claim_pending(kind: str, ids: Iterable[int], *, timeout: int | None = None) -> list[int]:
    """The ids whose work is not already waiting in the queue; marks them waiting.

    Why a short-lived cache marker rather than a database flag: the stale flag
    says "work is owed", not "a message is on its way", and must stay set
    until the work is done. The marker only saves duplicate messages; if it is
    lost (cache flushed, expired after PENDING_MARKER_SECONDS, Redis down) the
    worst case is a duplicate message, which the inputs hash makes a no-op.
    When the cache cannot answer we send anyway: a duplicate is cheap, a
    skipped message costs a sweep interval. The markers last ``timeout``
    seconds (PENDING_MARKER_SECONDS by default); send_coalesced claims for
    CLAIM_SECONDS and extends once the message is sent.
    """
    ids = list(ids)
    keys = {id_: _PENDING.format(kind=kind, id=id_) for id_ in ids}
    # Two round trips for any number of ids (the sweep may claim thousands). Not
    # atomic: two claimers racing may both send, and a duplicate is harmless.
    waiting = cache.get_many(list(keys.values()))
    claimed = [id_ for id_ in ids if keys[id_] not in waiting]
    cache.set_many({keys[id_]: 1 for id_ in claimed}, timeout=timeout or settings.PENDING_MARKER_SECONDS)
    return claimed


def release_pending(kind: str, ids: Iterable[int]) -> None:
    """Called by a task before it reads its inputs: a request arriving after
    this point queues a new message, because this run may not see its change."""
    cache.delete_many([_PENDING.format(kind=kind, id=id_) for id_ in ids])


def release_pending_on_receipt(kind: str, ids: Iterable[int], *, eta: object = None) -> None:
    """Called in a worker's main process as soon as it takes a message off the queue.

    Why here and not only when the task starts: a marker must mean "this
    message is still waiting in Redis". A worker reserves messages before it
    runs them (prefetch), and if it is SIGKILLed, or loses Redis, the messages
    it reserved are lost with it: kombu can only give them back after
    CELERY_VISIBILITY_TIMEOUT (10 minutes), and their markers would keep the
    sweep from queueing the work again for PENDING_MARKER_SECONDS. Released on
    receipt, a lost message leaves stale rows without a marker, which the next
    sweep (every SWEEP_INTERVAL_SECONDS) queues again: recovery in well under a
    minute. The cost is at most one duplicate message per reserved message (a
    change made between receipt and start queues a new one, as it would
    after the start), and duplicates are cheap (the inputs hash).

    A message with a countdown (the exposures' debounce) keeps its marker until
    it runs: it is received at once and held by the worker, and releasing it
    then would undo the coalescing the countdown is for.
    """
    if eta is None:
        release_pending(kind, ids)


def send_coalesced(
    task: str, kind: str, ids: Iterable[int], *, batch_size: int, countdown: float | None = None
) -> tuple[int, bool]:
    """Queue the task named ``task`` now for the ids not already waiting, in bounded batches.

    Returns how many ids were sent and whether the broker took every batch;
    when it refuses one, the rest are released (so that the sweep queues them)
    and nothing more is sent.

    A claim lasts only CLAIM_SECONDS until its batch is sent; then the markers
    still there are extended to PENDING_MARKER_SECONDS. Why: a process killed
    between claiming and sending (a worker SIGKILLed in the middle of a
    fan-out step or a sweep) would otherwise leave markers for messages that
    never existed, and the sweep would skip those stale rows for five
    minutes. A marker already gone when the batch is confirmed was released
    by the worker that received the batch, and stays gone.
    """
    claimed = claim_pending(kind, sorted(set(ids)), timeout=CLAIM_SECONDS)
    sent = 0
    for start in range(0, len(claimed), batch_size):
        batch = claimed[start : start + batch_size]
        if not send(task, batch, countdown=countdown):
            release_pending(kind, claimed[start:])
            return sent, False
        touch_many(cache, [_PENDING.format(kind=kind, id=id_) for id_ in batch], settings.PENDING_MARKER_SECONDS)
        sent += len(batch)
    return sent, True


def send_on_commit_coalesced(
    task: str, kind: str, ids: Iterable[int], *, batch_size: int, countdown: float | None = None
) -> None:
    """After commit, queue the task named ``task`` for the ids not already waiting, in bounded batches."""
    ids = set(ids)
    if ids:
        transaction.on_commit(lambda: send_coalesced(task, kind, ids, batch_size=batch_size, countdown=countdown))
