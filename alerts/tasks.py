"""Alert tasks: each calls one service. Retries on database, broker and mail-server trouble only."""

from __future__ import annotations

from datetime import timedelta

from celery import current_app, shared_task
from celery.schedules import schedule
from django.conf import settings

from alerts import queue, services
from alerts.tokens import BadToken
from evaluations.tasks import MAIL_RETRY, RETRY


@shared_task(name=queue.ALERT_CONFIRMATION_SEND, **MAIL_RETRY)
def alert_confirmation_send_task(token: str) -> None:
    """The argument is the signed link itself: no row exists before the address's owner agrees."""
    try:
        services.alert_confirmation_send(token=token)
    except BadToken:
        return  # expired while queued: never retried


@shared_task(name=queue.ALERTS_SCAN, **RETRY)
def alerts_scan_task() -> int:
    """Beat runs this every ALERTS_SCAN_INTERVAL_SECONDS."""
    return services.alerts_scan()


@shared_task(name=queue.ALERT_DIGESTS_WEEKLY, **RETRY)
def alert_digests_weekly_task() -> int:
    return services.alert_digests_weekly()


@shared_task(name=queue.ALERT_DIGEST_SEND, **MAIL_RETRY)
def alert_digest_send_task(subscriber_id: int) -> int:
    return services.alert_digest_send(subscriber_id=subscriber_id)


# The beat schedule, by reference (as evaluations/tasks.py does).
current_app.add_periodic_task(
    schedule(timedelta(seconds=settings.ALERTS_SCAN_INTERVAL_SECONDS)), alerts_scan_task.s(), name="alerts-scan"
)
current_app.add_periodic_task(
    schedule(timedelta(seconds=settings.ALERTS_WEEKLY_CHECK_SECONDS)),
    alert_digests_weekly_task.s(),
    name="alerts-weekly-digests",
)
