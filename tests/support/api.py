"""An API client that checks every status a test sees is documented in the OpenAPI schema.

Every request made through the ``api_client`` and ``client_for`` fixtures
(tests/conftest.py) is looked up in the generated schema: a status the schema
does not document for that path and method fails the test that produced it.
"""

from __future__ import annotations

import functools
import re

from django.urls import Resolver404, resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

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
