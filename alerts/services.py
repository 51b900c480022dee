"""Writes for alerts: subscribe (send a link), confirm (store, with consent), change, unsubscribe,
erase; match newly published versions to subscribers; send digests.

Sending happens in tasks queued after commit (``evaluations.queue``); every
service here may run twice without doing anything twice.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from alerts import emails, selectors
from alerts.models import Notice, ScannedVersion, Subscriber, Subscription
from alerts.queue import ALERT_CONFIRMATION_SEND, ALERT_DIGEST_SEND
from alerts.tokens import SubscribeRequest, confirm_token_make, confirm_token_read
from cases.models import DealType, Organization, Tag
from evaluations.queue import enqueue_on_commit

logger = logging.getLogger(__name__)

TARGETS: dict[str, tuple[type[Organization] | type[Tag] | type[DealType], str]] = {
    Subscription.Kind.ORGANIZATION: (Organization, "organization"),
    Subscription.Kind.TAG: (Tag, "tag"),
    Subscription.Kind.DEAL_TYPE: (DealType, "deal_type"),
}


def subscription_request(*, request: SubscribeRequest) -> None:
    """Mail a confirmation link to the address; store nothing.

    The same happens whether or not the address is already subscribed, so the
    response to the form says nothing about it.
    """
    enqueue_on_commit(ALERT_CONFIRMATION_SEND, confirm_token_make(request))


def topic_describe(kind: str, target_id: int | None) -> str:
    if kind == Subscription.Kind.ALL:
        return "all new analyses and corrections"
    model, _ = TARGETS[kind]
    target = model.objects.filter(pk=target_id).first() if target_id is not None else None
    return f"{Subscription.Kind(kind).label.split(' ', 1)[1]}: {target}" if target else "a topic no longer listed"


def alert_confirmation_send(*, token: str) -> None:
    request = confirm_token_read(token)
    emails.confirmation_message(request.email, token, topic_describe(request.kind, request.target_id)).send()


@transaction.atomic
def subscriber_confirm(*, token: str) -> Subscriber:
    """The owner of the address followed the link: store it with the subscription it asked for.

    Raises ``alerts.tokens.BadToken`` for a tampered or expired link.
    """
    request = confirm_token_read(token)
    subscriber, created = Subscriber.objects.select_for_update().get_or_create(
        email=request.email,
        defaults={"frequency": request.frequency, "consented_at": timezone.now()},
    )
    if not created:
        subscriber.frequency = request.frequency
        subscriber.save(update_fields=["frequency"])
    _subscription_add(subscriber, request.kind, request.target_id)
    return subscriber


def _subscription_add(subscriber: Subscriber, kind: str, target_id: int | None) -> None:
    if kind == Subscription.Kind.ALL:
        Subscription.objects.get_or_create(subscriber=subscriber, kind=kind)
        return
    model, field = TARGETS[kind]
    target = model.objects.filter(pk=target_id).first() if target_id is not None else None
    if target is not None:  # removed since the link was sent: nothing to follow
        lookup: dict[str, Any] = {field: target}
        Subscription.objects.get_or_create(subscriber=subscriber, kind=kind, **lookup)


@transaction.atomic
def subscriber_preferences_update(
    *,
    subscriber: Subscriber,
    frequency: str,
    everything: bool,
    organizations: list[Organization],
    tags: list[Tag],
    deal_types: list[DealType],
) -> Subscriber:
    """Replace what the subscriber follows and how often."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    subscriber.frequency = frequency
    subscriber.save(update_fields=["frequency"])
    subscriber.subscriptions.all().delete()
    rows = [Subscription(subscriber=subscriber, kind=Subscription.Kind.ALL)] if everything else []
    rows += [Subscription(subscriber=subscriber, kind="organization", organization=o) for o in organizations]
    rows += [Subscription(subscriber=subscriber, kind="tag", tag=t) for t in tags]
    rows += [Subscription(subscriber=subscriber, kind="deal_type", deal_type=d) for d in deal_types]
    Subscription.objects.bulk_create(rows)
    return subscriber


@transaction.atomic
def subscriber_unsubscribe(*, subscriber_id: int) -> bool:
    """Withdrawn consent: delete the address and all that hangs off it. True if there was one."""
    deleted, _ = Subscriber.objects.filter(pk=subscriber_id).delete()
    return bool(deleted)


@transaction.atomic
def subscriber_erase(*, email: str) -> bool:
    """An erasure request (admin command): the same deletion, found by address."""
    deleted, _ = Subscriber.objects.filter(email=email.strip().lower()).delete()
    return bool(deleted)


def alerts_scan() -> int:
    """Match versions published since the last scans to subscribers; queue immediate digests.

    Idempotent: a matched version is recorded (``ScannedVersion``) in the same
    transaction as its notices, and a notice is unique per subscriber and
    version, so a scan run twice, or on two workers, owes nothing twice.
    Returns the number of versions matched.
    """
    scanned = 0
    immediate: set[int] = set()
    for version_id in list(selectors.versions_to_scan().values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            candidates = selectors.versions_to_scan().select_for_update(skip_locked=True, of=("self",))
            version = candidates.filter(pk=version_id).first()
            if version is None:  # another scan has it
                continue
            subscribers = list(selectors.subscribers_for_version(version).values_list("pk", "frequency"))
            Notice.objects.bulk_create(
                [Notice(subscriber_id=pk, version=version) for pk, _ in subscribers], ignore_conflicts=True
            )
            ScannedVersion.objects.bulk_create([ScannedVersion(version=version)], ignore_conflicts=True)
            immediate.update(pk for pk, frequency in subscribers if frequency == Subscriber.Frequency.IMMEDIATE)
            scanned += 1
    for subscriber_id in sorted(immediate):
        enqueue_on_commit(ALERT_DIGEST_SEND, subscriber_id)
    return scanned


def alert_digests_weekly() -> int:
    """Queue the digest of every weekly subscriber who is due one."""
    ids = list(selectors.subscribers_weekly_due().values_list("pk", flat=True))
    for subscriber_id in ids:
        enqueue_on_commit(ALERT_DIGEST_SEND, subscriber_id)
    return len(ids)


def alert_digest_send(*, subscriber_id: int) -> int:
    """Send one subscriber what they are owed, from published content only; the number of items sent.

    The notices are marked sent in the transaction that sends, so a failed
    send leaves them owed (the task retries); a crash between sending and
    committing may send a digest twice, never lose one.
    """
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
        if subscriber is None:  # unsubscribed meanwhile
            return 0
        notices = selectors.notices_pending(subscriber)
        if not notices:
            return 0
        emails.digest_message(subscriber, notices).send()
        now = timezone.now()
        Notice.objects.filter(pk__in=[n.pk for n in notices]).update(sent_at=now)
        subscriber.last_digest_at = now
        subscriber.save(update_fields=["last_digest_at"])
    logger.info("sent a digest of %d items to subscriber %d", len(notices), subscriber_id)
    return len(notices)
