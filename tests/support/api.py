"""API fixtures: a client per role, and a check that every status a test sees is documented.

Every request made through ``api_client`` (and the per-role clients) is looked
up in the generated OpenAPI schema: a status the schema does not document for
that path and method fails the test that produced it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import pytest
from django.urls import Resolver404, resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from evaluations.models import EvaluationVersion
from evaluations.services import workflow

SEEN: set[tuple[str, str, int]] = set()


@functools.cache
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def openapi_path(path: str) -> str | None:
    try:
        match = resolve(path.split("?")[0])
    except Resolver404:
        return None
    # drf-spectacular names a ``pk`` path parameter ``id``.
    return "/" + re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", match.route).replace("{pk}", "{id}")


def assert_documented(method: str, path: str, status: int) -> None:
    template = openapi_path(path)
    if template is None or not template.startswith("/api/v1/") or template in ("/api/v1/schema/", "/api/v1/docs/"):
        return
    operation = schema()["paths"].get(template, {}).get(method.lower())
    if operation is None:
        # An unsupported method: DRF answers 405, which is what HTTP says.
        assert status == 405, f"{method} {template} is not in the schema but answered {status}"
        return
    assert str(status) in operation["responses"], (
        f"{method} {template} answered {status}, which its schema does not document "
        f"(documents {sorted(operation['responses'])})"
    )
    SEEN.add((method.upper(), template, status))


class CheckedClient(APIClient):
    """An APIClient whose every response must be documented in the schema."""

    def request(self, **request):
        response = super().request(**request)
        assert response.status_code < 500, f"server error: {response.status_code}"
        assert_documented(request["REQUEST_METHOD"], request["PATH_INFO"], response.status_code)
        return response


@pytest.fixture
def api_client() -> CheckedClient:
    return CheckedClient()


@pytest.fixture
def client_for(db) -> Callable[..., CheckedClient]:
    """A client authenticated with the user's API token (None: anonymous)."""

    def make(user=None) -> CheckedClient:
        client = CheckedClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def roles(reader, editor, editor2, reviewer, admin_user) -> dict:
    return {
        "anonymous": None,
        "reader": reader,
        "editor": editor,
        "editor2": editor2,
        "reviewer": reviewer,
        "admin": admin_user,
    }


@pytest.fixture
def published_case(demo):
    """A demo case with a published analysis."""
    from cases.models import Case

    return Case.objects.published().filter(evaluation_versions__annotations__isnull=False).distinct().first()


@pytest.fixture
def draft_version(published_case, editor) -> EvaluationVersion:
    """A new draft of a published case, written by ``editor``."""
    return workflow.evaluation_version_start(case=published_case, by=editor)


@pytest.fixture
def in_review_version(draft_version, editor) -> EvaluationVersion:
    return workflow.evaluation_version_submit(version=draft_version, by=editor)
