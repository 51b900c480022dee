"""The exception handler: each service error becomes its status, with a JSON body."""

from __future__ import annotations

import pytest
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import DataError, IntegrityError
from django.http import Http404

from core.api import exception_handler
from core.errors import EditConflict, TransitionNotAllowed


class _Version:
    lock_version = 7
    etag = '"ev1-7"'


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (ValidationError({"title": ["required"]}), 400),
        (ValidationError("plain message"), 400),
        (PermissionDenied("no"), 403),
        (EditConflict(_Version()), 412),
        (TransitionNotAllowed("wrong state"), 409),
        (ObjectDoesNotExist(), 404),
        (Http404(), 404),
        (IntegrityError("duplicate"), 409),
        (DataError("NUL"), 400),
    ],
)
def test_service_errors_map_to_statuses(exc, status):
    response = exception_handler(exc, {})
    assert response is not None and response.status_code == status
    assert isinstance(response.data, dict) and response.data


def test_field_errors_stay_field_by_field():
    response = exception_handler(ValidationError({"title": ["required"], "__all__": ["both"]}), {})
    assert response.data == {"title": ["required"], "non_field_errors": ["both"]}


def test_edit_conflict_carries_the_current_etag():
    assert exception_handler(EditConflict(_Version()), {})["ETag"] == '"ev1-7"'


def test_nul_in_rubric_classification_is_never_500(demo, admin_user, client_for):
    from evaluations.models import RubricVersion
    from evaluations.services.rubric_versions import rubric_version_clone

    draft = rubric_version_clone(version=RubricVersion.objects.get(status="active"), by=None)
    classification = {**draft.classification, "rule": "a\u0000b"}  # valid but for the NUL
    response = client_for(admin_user).patch(
        "/api/v1/rubrics/partnership-leverage/versions/2/",
        {"version": {"classification": classification}},
        format="json",
    )
    assert response.status_code in (200, 400)  # SQLite stores it; PostgreSQL's jsonb refuses it: 400
