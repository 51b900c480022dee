"""Celery tasks: each takes ids and calls one service.

Retry policy: only on database and broker trouble (connection lost, deadlock,
serialization failure, Redis unreachable), with exponential backoff and
jitter. Bad data raises something else and is never retried: it would fail
again. A task killed by its time limit or with its worker leaves the stale
flag set, so the sweep queues it again.

Each task is named after the service it calls (``<service>_task``) and
declares its registered name from evaluations.queue, through which the
services queue it by name without importing this module. The periodic
tasks are scheduled here, by reference to the task objects.
"""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPException
from typing import Any, TypedDict

from celery import current_app, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.schedules import schedule
from celery.signals import task_received
from django.conf import settings
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from evaluations import queue
from evaluations.services import exposures, notifications, publishing, recompute, recompute_set


class RetryPolicy(TypedDict):
    autoretry_for: tuple[type[BaseException], ...]
    retry_backoff: int
    retry_backoff_max: int
    retry_jitter: bool
    max_retries: int


RETRY: RetryPolicy = {
    "autoretry_for": (OperationalError, InterfaceError, BrokerError, RedisConnectionError, RedisTimeoutError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name=queue.RISK_SUMMARIES_RECOMPUTE, **RETRY)
def risk_summaries_recompute_task(case_ids: list[int]) -> int:
    """Recompute a bounded batch of summaries (the only recompute task; one case is a batch of one)."""
    # Released before reading: a change committed from now on queues a new message.
    queue.release_pending("summary", case_ids)
    try:
        return len(recompute_set.risk_summaries_recompute_batch(case_ids=case_ids))
    except SoftTimeLimitExceeded:
        # The batch's transaction rolled back; nothing is lost (the rows are still
        # stale). Try again as two halves, which fit in the limit sooner or later.
        if len(case_ids) < 2:
            raise
        middle = len(case_ids) // 2
        queue.send(queue.RISK_SUMMARIES_RECOMPUTE, case_ids[:middle])
        queue.send(queue.RISK_SUMMARIES_RECOMPUTE, case_ids[middle:])
        return 0


@shared_task(name=queue.RISK_SUMMARY_RECOMPUTE, **RETRY)
def risk_summary_recompute_task(case_id: int) -> int:
    """Kept for messages queued by older code; new code queues batches."""
    return risk_summaries_recompute_task(case_ids=[case_id])


@shared_task(name=queue.ORGANIZATION_EXPOSURES_RECOMPUTE, **RETRY)
def organization_exposures_recompute_task(organization_ids: list[int]) -> int:
    queue.release_pending("exposure", organization_ids)
    return len(exposures.organization_exposures_recompute(organization_ids=organization_ids))


@shared_task(name=queue.EVALUATION_VERSIONS_PUBLISH_DUE, **RETRY)
def evaluation_versions_publish_due_task() -> int:
    return publishing.evaluation_versions_publish_due()


@shared_task(name=queue.RISK_SUMMARIES_SWEEP, **RETRY)
def risk_summaries_sweep_task() -> int:
    return exposures.risk_summaries_sweep()


@shared_task(name=queue.RISK_SUMMARIES_FANOUT, **RETRY)
def risk_summaries_fanout_task(rubric_id: int, after_case_id: int = 0) -> int:
    """Queue the recompute of one bounded step of stale cases, then the next step."""
    return recompute.risk_summaries_fanout(rubric_id=rubric_id, after_case_id=after_case_id)


# Mail-server trouble is retried too (as the alerts' emails are).
MAIL_RETRY: RetryPolicy = {
    **RETRY,
    "autoretry_for": (*RETRY["autoretry_for"], SMTPException, ConnectionError, TimeoutError),
}


@shared_task(name=queue.NOTIFICATION_EMAIL_SEND, **MAIL_RETRY)
def notification_email_send_task(notification_id: int) -> bool:
    """Email one notification; a second run (a retry, a redelivery) sends nothing."""
    return notifications.notification_email_send(notification_id=notification_id)


@shared_task(name=queue.NOTIFICATION_EMAILS_SWEEP, **RETRY)
def notification_emails_sweep_task() -> int:
    return notifications.notification_emails_sweep()


# The beat schedule, by reference: renaming a task breaks this import, not the schedule silently.
current_app.add_periodic_task(
    schedule(timedelta(seconds=settings.SWEEP_INTERVAL_SECONDS)),
    risk_summaries_sweep_task.s(),
    name="risk-summary-sweep",
)
current_app.add_periodic_task(
    schedule(timedelta(seconds=settings.SWEEP_INTERVAL_SECONDS)),
    notification_emails_sweep_task.s(),
    name="notification-email-sweep",
)
current_app.add_periodic_task(
    schedule(timedelta(seconds=settings.SCHEDULED_PUBLISH_INTERVAL_SECONDS)),
    evaluation_versions_publish_due_task.s(),
    name="scheduled-publish",
)


# The tasks whose first argument is a list of ids coalesced under a pending marker (evaluations.queue).
_MARKER_KINDS = {
    risk_summaries_recompute_task.name: "summary",
    organization_exposures_recompute_task.name: "exposure",
}


@task_received.connect
def release_pending_when_received(sender: Any = None, request: Any = None, **kwargs: Any) -> None:
    """A worker took a message: its ids are no longer waiting in Redis (see queue.release_pending_on_receipt)."""
    kind = _MARKER_KINDS.get(getattr(request, "name", ""))
    if kind and request.args:
        queue.release_pending_on_receipt(kind, request.args[0], eta=request.eta)
