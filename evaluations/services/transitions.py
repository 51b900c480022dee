"""What every state change of an evaluation version shares: the row lock and the audited
transition (who may make it, in which state, is evaluations.policy)."""

from __future__ import annotations

from django.contrib.auth.models import User

from evaluations.models import EvaluationVersion
from evaluations.services.audit import audit_record


def version_transition(
    version: EvaluationVersion, *, to: str, action: str, by: User | None, comment: str = "", **fields
) -> EvaluationVersion:
    from_state = version.state
    version.state = to
    for name, value in fields.items():
        setattr(version, name, value)
    version.lock_version += 1
    version.save()
    audit_record(
        action=action, actor=by, from_state=from_state, to_state=to, comment=comment, evaluation_version=version
    )
    return version


def version_locked(version: EvaluationVersion) -> EvaluationVersion:
    return EvaluationVersion.objects.select_for_update().select_related("evaluation__rubric_version").get(pk=version.pk)
