"""Alert tasks: each calls one service. Retries on database, broker and mail-server trouble only."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from alerts import services
from alerts.tokens import BadToken
from evaluations.tasks import RETRY

MAIL_RETRY = {**RETRY, "autoretry_for": (*RETRY["autoretry_for"], SMTPException, ConnectionError, TimeoutError)}


@shared_task(**MAIL_RETRY)
def alert_confirmation_send_task(token: str) -> None:
    """The argument is the signed link itself: no row exists before the address's owner agrees."""
    try:
        services.alert_confirmation_send(token=token)
    except BadToken:
        return  # expired while queued: never retried


@shared_task(**RETRY)
def alerts_scan_task() -> int:
    """Beat runs this every ALERTS_SCAN_INTERVAL_SECONDS."""
    return services.alerts_scan()


@shared_task(**RETRY)
def alert_digests_weekly_task() -> int:
    return services.alert_digests_weekly()


@shared_task(**MAIL_RETRY)
def alert_digest_send_task(subscriber_id: int) -> int:
    return services.alert_digest_send(subscriber_id=subscriber_id)
