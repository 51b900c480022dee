"""How long an editor's free text may be: one table, checked by the services.

Most text columns are ``TextField``s, which the database does not bound, so
the services refuse oversized input with a field error (the desk shows it as
a form error, the API as a 400) before anything is written.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

TEXT_LIMITS: dict[str, int] = {
    "cases.organization.description": 10_000,
    "cases.case.summary": 20_000,
    "cases.case.value_note": 2_000,
    "cases.case.capacity_note": 2_000,
    "cases.source.claim": 5_000,
    "cases.source.excerpt": 20_000,
    "cases.timelineevent.note": 5_000,
    "evaluations.evaluationversion.narrative": 100_000,
    "evaluations.evaluationversion.change_note": 5_000,
    "evaluations.evaluationversion.correction_note": 5_000,
    "evaluations.score.rationale": 10_000,
    "evaluations.annotation.quote": 2_000,
    "evaluations.citation.quote": 2_000,
    "evaluations.annotation.body": 10_000,
    "evaluations.auditentry.comment": 5_000,
    "evaluations.reviewcomment.quote": 2_000,
    "evaluations.reviewcomment.body": 10_000,
}


def text_length_errors(instance: models.Model, *, prefix: str = "") -> dict[str, list[str]]:
    """Field errors for the instance's text fields that exceed their limit (or their max_length)."""
    errors: dict[str, list[str]] = {}
    label = instance._meta.label_lower
    for field in instance._meta.concrete_fields:
        limit = TEXT_LIMITS.get(f"{label}.{field.name}")
        if limit is None and isinstance(field, models.CharField):
            limit = field.max_length  # also checked by full_clean, but not every path calls it
        value = getattr(instance, field.attname, None)
        if limit is not None and isinstance(value, str) and len(value) > limit:
            errors[f"{prefix}{field.name}"] = [f"at most {limit:,} characters (this has {len(value):,})"]
    return errors


def validate_text_lengths(instance: models.Model) -> None:
    errors = text_length_errors(instance)
    if errors:
        raise ValidationError(errors)
