"""The audit trail: one entry per state change, written in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.utils import timezone

from core.text import validate_text
from evaluations.models import AuditEntry, EvaluationVersion, RubricVersion


def audit_record(
    *,
    action: str,
    actor: User | None,
    from_state: str,
    to_state: str,
    comment: str = "",
    evaluation_version: EvaluationVersion | None = None,
    rubric_version: RubricVersion | None = None,
    at: datetime | None = None,
    subject: str = "",
) -> AuditEntry:
    entry = AuditEntry(
        action=action,
        actor=actor,
        at=at or timezone.now(),
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        evaluation_version=evaluation_version,
        rubric_version=rubric_version,
        subject=subject,
    )
    # The callers' transactions roll the state change back with it.
    validate_text(entry)
    entry.save()
    return entry
