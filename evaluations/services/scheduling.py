"""Scheduled publishing: when an approved version goes live, and changing one's mind about it.

Approving with a future time schedules (``workflow.evaluation_version_approve``
calls ``publish_at_checked``); the periodic job publishes what is due
(``publishing.evaluation_versions_publish_due``). Here: the rule for an
acceptable time, and rescheduling or unscheduling a scheduled version without
sending it back to its author.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from evaluations import policy
from evaluations.models import AuditEntry, EvaluationVersion
from evaluations.services.transitions import version_locked, version_transition


def publish_at_shown(when: datetime | None) -> str:
    """A time as the desk shows it: in the site's time zone, named (whatever offset it was given in)."""
    if when is None:
        return "no time set"
    local = timezone.localtime(when)
    return f"{local:%Y-%m-%d %H:%M} {settings.TIME_ZONE}"


def publish_at_checked(publish_at: datetime, *, now: datetime | None = None) -> datetime:
    """``publish_at`` if it is an aware time still to come; a ValidationError on ``publish_at`` otherwise.

    A time in the past is refused rather than taken as "now": an embargo
    typed in the wrong time zone must not go out early without a word.
    """
    now = now or timezone.now()
    if timezone.is_naive(publish_at):
        raise ValidationError({"publish_at": ["give the time zone (an offset such as +02:00)"]})
    if publish_at <= now:
        raise ValidationError(
            {
                "publish_at": [
                    f"{publish_at_shown(publish_at)} has already passed (it is now {publish_at_shown(now)}): "
                    "give a later time, or leave it empty to publish now"
                ]
            }
        )
    return publish_at


@transaction.atomic
def evaluation_version_reschedule(*, version: EvaluationVersion, by: User, publish_at: datetime) -> EvaluationVersion:
    """Move a scheduled version's publication to another time still to come (audited)."""
    policy.check(by, "version.reschedule")
    publish_at = publish_at_checked(publish_at)
    version = version_locked(version)
    policy.check(by, "version.reschedule", version)
    previous = version.publish_at
    return version_transition(
        version,
        to=EvaluationVersion.State.SCHEDULED,
        action=AuditEntry.Action.RESCHEDULE,
        by=by,
        comment=f"from {previous.isoformat() if previous else 'unset'} to {publish_at.isoformat()}",
        publish_at=publish_at,
        published_by=by,
    )


@transaction.atomic
def evaluation_version_unschedule(*, version: EvaluationVersion, by: User, comment: str = "") -> EvaluationVersion:
    """Take a scheduled version off the schedule: it waits in review for a new decision (audited).

    Its content and review stay as they are (no send-back); approving it again
    publishes it now or schedules it anew.
    """
    policy.check(by, "version.unschedule")
    version = version_locked(version)
    policy.check_state("version.unschedule", version)
    previous = version.publish_at
    note = f"was to publish at {previous.isoformat()}" if previous else "unscheduled"
    return version_transition(
        version,
        to=EvaluationVersion.State.IN_REVIEW,
        action=AuditEntry.Action.UNSCHEDULE,
        by=by,
        comment=f"{note}; {comment.strip()}" if comment.strip() else note,
        publish_at=None,
        published_by=None,
    )
