"""The OpenAPI schema: it validates, it is served, and it documents what the API answers.

Every request the API tests make goes through tests.support.api.CheckedClient,
which fails a test whose response status is not documented for its operation.
This module checks the schema itself and that the statuses the issue names
are all documented where they can happen.
"""

from __future__ import annotations

import pytest
from drf_spectacular.validation import validate_schema

from tests.support.api import schema


def test_schema_is_valid_openapi(db):
    validate_schema(schema())


def test_schema_and_docs_are_served(db, api_client):
    response = api_client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")
    docs = api_client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/api/docs.js" in html and "<script>" not in html and "cdn" not in html.lower()
    assert "script-src 'self'" in docs["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("get", "/api/v1/cases/", {"200", "304", "400", "401", "404", "429"}),
        ("post", "/api/v1/cases/", {"201", "400", "401", "403", "429"}),
        ("get", "/api/v1/cases/{slug}/", {"200", "304", "404"}),
        ("patch", "/api/v1/cases/{slug}/", {"200", "400", "401", "403", "404"}),
        ("get", "/api/v1/cases/{slug}/versions/compare/", {"200", "400", "404"}),
        ("post", "/api/v1/cases/{slug}/evaluations/", {"201", "401", "403", "404", "409"}),
        ("get", "/api/v1/evaluation-versions/{id}/", {"200", "304", "404"}),
        ("patch", "/api/v1/evaluation-versions/{id}/", {"200", "400", "401", "403", "404", "409", "412", "428"}),
        ("post", "/api/v1/evaluation-versions/{id}/submit/", {"200", "400", "403", "404", "409"}),
        ("post", "/api/v1/evaluation-versions/{id}/send-back/", {"200", "400", "403", "404", "409"}),
        ("post", "/api/v1/evaluation-versions/{id}/publish/", {"200", "400", "403", "404", "409"}),
        ("post", "/api/v1/rubrics/{slug}/versions/", {"201", "400", "401", "403", "404"}),
        ("patch", "/api/v1/rubrics/{slug}/versions/{number}/", {"200", "400", "403", "404", "409"}),
        ("post", "/api/v1/rubrics/{slug}/versions/{number}/activate/", {"200", "403", "404", "409"}),
        ("post", "/api/v1/auth/token/", {"200", "400", "429"}),
        ("get", "/api/v1/export/cases.csv", {"200", "429"}),
        ("get", "/api/v1/export/cases.json", {"200", "429"}),
    ],
)
def test_statuses_are_documented(db, method, path, statuses):
    documented = set(schema()["paths"][path][method]["responses"])
    assert statuses <= documented, statuses - documented


def test_if_match_is_a_documented_required_header(db):
    parameters = schema()["paths"]["/api/v1/evaluation-versions/{id}/"]["patch"]["parameters"]
    assert any(p["name"] == "If-Match" and p["in"] == "header" and p["required"] for p in parameters)


def test_every_operation_documents_its_errors(db):
    for path, item in schema()["paths"].items():
        for method, operation in item.items():
            responses = set(operation["responses"])
            assert {"401", "429"} <= responses, (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if method != "get":
                assert {"400", "403"} <= responses, (method, path)


def test_case_filters_are_documented(db):
    names = {p["name"] for p in schema()["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    assert {
        "organization", "deal_type", "announced_after", "announced_before", "classification", "risk_band",
        "risk_min", "risk_max", "tag", "rubric_version", "search", "ordering", "cursor",
    } <= names  # fmt: skip


# One OpenAPI document whatever the database (was test_schema_portable.py).
#
# One OpenAPI document whatever the database.
#
# Django asks the connection for each integer model field's range and DRF turns it into the
# schema's bounds: SQLite answered 64 bits for every kind (``format: int64``, 9223372036854775807),
# PostgreSQL the column's size. The schema now gives the field kind's portable range on both.


def _property(component: str, name: str) -> dict:
    return schema()["components"]["schemas"][component]["properties"][name]


def test_integer_bounds_are_the_field_kinds_not_the_backends(db):
    positive = _property("EvaluationVersion", "lock_version")  # PositiveIntegerField
    assert (positive["minimum"], positive["maximum"]) == (0, 2147483647)
    assert "format" not in positive
    big = _property("CaseDetail", "value_low_usd")  # BigIntegerField: 64 bits on every backend
    assert big["format"] == "int64"
    components = schema()["components"]["schemas"]
    small = [
        prop
        for component in components.values()
        for prop in component.get("properties", {}).values()
        if prop.get("maximum") == 32767
    ]
    assert small, "the SmallIntegerField/PositiveSmallIntegerField bounds are PostgreSQL's on every backend"
