"""Notifications: who hears of a step in the review loop, the in-app message, the email after commit.

``notification_recipients`` is the one answer to "who is told"; the workflow
services (submit, send back, publish) and any other service with news for
the newsroom (a review comment) call ``notifications_send``. Each
notification is emailed by a task queued once the transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from evaluations import emails, policy, queue
from evaluations.models import EvaluationVersion, Notification

logger = logging.getLogger(__name__)
Kind = Notification.Kind


def version_reviewers(version: EvaluationVersion) -> list[User]:
    """Active users who may approve ``version``: the approve permission (directly, through a
    group, or as superuser), and no part in writing it (the four-eyes rule's contributors)."""
    app_label, codename = policy.permission("version.approve").split(".", 1)
    holds = (
        Q(is_superuser=True)
        | Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label)
        | Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
    )
    users = User.objects.filter(holds, is_active=True).exclude(pk__in=policy.contributor_ids(version))
    return list(users.distinct().order_by("pk"))


def notification_recipients(*, kind: str, version: EvaluationVersion, actor: User | None) -> list[User]:
    """Who is told of ``kind`` done to ``version`` by ``actor`` (never the actor).

    A submission goes to the reviewers assigned to it, or to every reviewer when
    nobody is; a send-back and a publication to the author; a comment to the
    other side (from a contributor to the reviewers, as a submission, from
    anyone else to the author).
    """
    to_reviewers = kind == Kind.SUBMIT or (
        kind == Kind.COMMENT and actor is not None and actor.pk in policy.contributor_ids(version)
    )
    if to_reviewers:
        assigned = [a.reviewer for a in version.assignments.select_related("reviewer").order_by("pk")]
        users = assigned or version_reviewers(version)
    else:
        users = [version.author]
    return [user for user in users if actor is None or user.pk != actor.pk]


@transaction.atomic
def notifications_send(
    *, kind: str, version: EvaluationVersion, actor: User | None, recipients: Iterable[User], text: str = ""
) -> list[Notification]:
    """Notify each recipient (once each; never the actor, nor an inactive account) and queue
    one email per notification after commit."""
    now = timezone.now()
    seen: set[int] = set()
    rows = []
    for user in recipients:
        if user.pk in seen or not user.is_active or (actor is not None and user.pk == actor.pk):
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                recipient=user,
                kind=kind,
                version=version,
                actor=actor,
                text=text.strip(),
                created_at=now,
                email_owed=True,
            )
        )
    notifications = Notification.objects.bulk_create(rows)
    for notification in notifications:
        queue.enqueue_on_commit(queue.NOTIFICATION_EMAIL_SEND, notification.pk)
    return notifications


def version_notify(*, kind: str, version: EvaluationVersion, actor: User | None, text: str = "") -> list[Notification]:
    """Tell whoever ``notification_recipients`` names (the workflow services' one call)."""
    recipients = notification_recipients(kind=kind, version=version, actor=actor)
    return notifications_send(kind=kind, version=version, actor=actor, recipients=recipients, text=text)


def notification_email_send(*, notification_id: int) -> bool:
    """Email one notification, once: True if sent now.

    Not sent (and never retried) when it was emailed already, is gone, or its
    recipient has no address, is inactive or is no longer in the newsroom (the
    email names a version they could no longer open). Marked emailed in the
    transaction that sends: a failed send leaves it owed (the task retries).
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient", "actor", "version__case")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.emailed_at is not None:
            return False
        recipient = notification.recipient
        notification.email_owed = False
        if not (recipient.is_active and recipient.email and policy.is_newsroom(recipient)):
            notification.save(update_fields=["email_owed"])
            return False
        emails.notification_message(notification).send()
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at", "email_owed"])
    logger.info("emailed notification %d to user %d", notification_id, recipient.pk)
    return True


def notification_emails_sweep(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Queue again the emails still owed STALE_GRACE_SECONDS after their notification; return how many.

    What makes a message lost with the broker (down when the notification
    was committed) or with a killed worker harmless: ``email_owed`` is in
    the database. A notification already read on the desk is not emailed
    late. Each id is claimed for PENDING_MARKER_SECONDS, so an email still
    waiting in a busy queue is not queued again every sweep; a duplicate
    would send nothing anyway (``emailed_at``).
    """
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.STALE_GRACE_SECONDS)
    owed = Notification.objects.filter(email_owed=True, read_at__isnull=True, created_at__lte=cutoff)
    ids = list(owed.order_by("created_at").values_list("pk", flat=True)[:limit])
    claimed = queue.claim_pending("notification", ids)
    for queued, notification_id in enumerate(claimed):
        if not queue.send(queue.NOTIFICATION_EMAIL_SEND, notification_id):
            queue.release_pending("notification", claimed[queued:])  # broker down: the next sweep tries again
            return queued
    return len(claimed)


def notification_mark_read(*, notification: Notification, by: User) -> bool:
    """Mark one of ``by``'s notifications read; False if it was read already. Another
    person's notification is refused (the desk answers 404 before asking)."""
    if notification.recipient_id != by.pk:
        raise PermissionDenied("This notification is not yours.")
    return bool(
        Notification.objects.filter(pk=notification.pk, recipient=by, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    )


def notifications_mark_all_read(*, by: User) -> int:
    return Notification.objects.filter(recipient=by, read_at__isnull=True).update(read_at=timezone.now())
