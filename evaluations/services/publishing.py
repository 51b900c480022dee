"""Publishing: the only code that makes an analysis public, now or when its time comes."""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cases import selectors as case_selectors
from cases.models import Case
from cases.search import search_document_refresh
from core.errors import TransitionNotAllowed
from evaluations import policy
from evaluations.models import AuditEntry, EvaluationVersion, Notification
from evaluations.services.audit import audit_record
from evaluations.services.facts import version_facts_publish
from evaluations.services.notifications import version_notify
from evaluations.services.recompute import risk_summary_request

logger = logging.getLogger(__name__)


@transaction.atomic
def evaluation_version_publish(
    *, version: EvaluationVersion, by: User | None, correction_note: str | None = None
) -> EvaluationVersion:
    """Publish a version now: the only code that makes an analysis public.

    The case's previously published version is superseded (and stays
    readable in the history); the case becomes published; its summary is
    marked stale and recomputed once the transaction commits. Who may do this
    is checked by the caller's action (approve, the scheduled task).
    """
    version = EvaluationVersion.objects.select_for_update().get(pk=version.pk)
    policy.check_state("version.publish", version)
    version_facts_publish(version)  # facts: applied to the case (or recorded) before the version freezes
    now = timezone.now()
    previous = (
        EvaluationVersion.objects.select_for_update()
        .filter(case_id=version.case_id, state=EvaluationVersion.State.PUBLISHED)
        .first()
    )
    if previous is not None:
        previous.state = EvaluationVersion.State.SUPERSEDED
        previous.save(update_fields=["state", "updated_at"])
        audit_record(
            action=AuditEntry.Action.SUPERSEDE,
            actor=by,
            from_state=EvaluationVersion.State.PUBLISHED,
            to_state=EvaluationVersion.State.SUPERSEDED,
            comment=f"superseded by version {version.number}",
            evaluation_version=previous,
            at=now,
        )
    from_state = version.state
    version.state = EvaluationVersion.State.PUBLISHED
    version.published_at = now
    version.published_by = by
    if correction_note is not None:
        version.correction_note = correction_note
    version.lock_version += 1
    version.save()
    audit_record(
        action=AuditEntry.Action.PUBLISH,
        actor=by,
        from_state=from_state,
        to_state=version.state,
        comment=version.correction_note,
        evaluation_version=version,
        at=now,
    )
    Case.objects.filter(pk=version.case_id, status=Case.Status.DRAFT).update(
        status=Case.Status.PUBLISHED, first_published_at=now
    )
    version_notify(kind=Notification.Kind.PUBLISH, version=version, actor=by, text=version.correction_note)
    risk_summary_request(version.case_id)
    search_document_refresh(version.case_id)
    case_selectors.archive_choices_forget()  # a first publication adds its organizations and tags
    return version


def evaluation_versions_publish_due(*, now: datetime | None = None) -> int:
    """Publish every scheduled version whose time has come; return how many."""
    now = now or timezone.now()
    due = EvaluationVersion.objects.filter(
        Q(state=EvaluationVersion.State.SCHEDULED) & Q(publish_at__lte=now)
    ).values_list("pk", flat=True)
    published = 0
    for pk in list(due):
        version = EvaluationVersion.objects.get(pk=pk)
        try:
            evaluation_version_publish(version=version, by=version.published_by)
        except TransitionNotAllowed:
            continue  # published or withdrawn meanwhile
        except ValidationError as exc:
            # Its facts no longer hold (a source or party removed meanwhile): it stays scheduled,
            # flagged overdue on the dashboard and /health/, and the others still go out.
            logger.warning("scheduled version %s not published: %s", pk, exc.messages)
            continue
        published += 1
    return published
