"""A service refuses bad input with a ValidationError naming the field, and writes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from cases import services as case_services
from cases.models import Case, Organization, Party, Source, Tag, TimelineEvent
from evaluations.models import Annotation, AuditEntry, EvaluationVersion, Score

COUNTED = (Case, Organization, Party, Source, Tag, TimelineEvent, EvaluationVersion, Score, Annotation, AuditEntry)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def refused(call, field: str, message: str) -> None:
    """The service raises a ValidationError naming ``field`` with ``message``, and writes nothing."""
    before = counts()
    with pytest.raises(ValidationError) as info:
        call()
    errors = info.value.message_dict
    assert field in errors, errors
    assert any(message in m for m in errors[field]), errors
    assert counts() == before


def case_input(**overrides) -> case_services.CaseInput:
    values = {"title": "A fine deal", "summary": "Who gains what.", "announced_on": date(2026, 3, 1), **overrides}
    return case_services.CaseInput(**values)
