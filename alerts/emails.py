"""The two emails alerts send: the confirmation link, and a digest of published analyses.

Links are absolute, on ``SITE_URL``. Every digest carries RFC 2369/8058
one-click unsubscribe headers and a link to the preferences page.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from alerts.models import Notice, Subscriber
from alerts.tokens import manage_token_make


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def confirmation_message(email: str, token: str, topic: str) -> EmailMultiAlternatives:
    context = {"confirm_url": absolute(reverse("alerts-confirm", args=[token])), "topic": topic}
    return EmailMultiAlternatives(
        subject="Confirm your Moatwatch alerts",
        body=render_to_string("alerts/email/confirm.txt", context),
        to=[email],
    )


def digest_message(subscriber: Subscriber, notices: list[Notice]) -> EmailMultiAlternatives:
    token = manage_token_make(subscriber.pk, subscriber.key)
    unsubscribe_url = absolute(reverse("alerts-unsubscribe", args=[token]))
    items = [
        {
            "case": n.version.case,
            "version": n.version,
            "url": absolute(reverse("case-version", args=[n.version.case.slug, n.version.number])),
            "is_correction": bool(n.version.correction_note),
        }
        for n in notices
    ]
    context = {
        "items": items,
        "preferences_url": absolute(reverse("alerts-preferences", args=[token])),
        "unsubscribe_url": unsubscribe_url,
        "weekly": subscriber.frequency == Subscriber.Frequency.WEEKLY,
    }
    count = len(items)
    subject = (
        f"Moatwatch: {notices[0].version.case.title}"
        if count == 1
        else f"Moatwatch: {count} new analyses and corrections"
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("alerts/email/digest.txt", context),
        to=[subscriber.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": "Moatwatch alerts <alerts.moatwatch>",
        },
    )
    message.attach_alternative(render_to_string("alerts/email/digest.html", context), "text/html")
    return message
