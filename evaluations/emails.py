"""The desk's notification email. Links are absolute, on ``SITE_URL`` (never the request's Host)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from evaluations.models import Notification


def notification_message(notification: Notification) -> EmailMessage:
    """What one notification says by email: who did what to which version, the text, the link.

    The recipient is a member of the newsroom (the task checks): the version's
    desk page and its case's title are theirs to see.
    """
    version = notification.version
    actor = notification.actor
    context = {
        "notification": notification,
        "version": version,
        "case": version.case,
        "actor_name": (actor.get_full_name() or actor.get_username()) if actor else "The schedule",
        "url": settings.SITE_URL + reverse("desk-version", args=[version.pk]),
        "list_url": settings.SITE_URL + reverse("desk-notifications"),
    }
    return EmailMessage(
        subject=f"Moatwatch desk: {version.case.title}, version {version.number} {notification.get_kind_display()}",
        body=render_to_string("desk/email/notification.txt", context),
        to=[notification.recipient.email],
    )
