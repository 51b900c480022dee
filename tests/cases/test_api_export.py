"""Streamed exports: streaming responses, the right content, no drafts, flat queries."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import api as cases_api
from cases.models import Case
from cases.services import CaseInput, case_create

ROLES = ["anonymous", "reader", "editor", "editor2", "reviewer", "admin"]


def _body(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def test_csv_export(demo, roles, client_for, editor):
    secret = case_create(by=editor, data=CaseInput(title="Secret draft", summary="x", announced_on=date(2026, 1, 1)))
    published = Case.objects.published().select_related("risk_summary")
    for role in ROLES:
        response = client_for(roles[role]).get("/api/v1/export/cases.csv")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(_body(response))))
        assert list(rows[0]) == cases_api.EXPORT_FIELDS
        assert sorted(r["slug"] for r in rows) == sorted(published.values_list("slug", flat=True))
        assert secret.slug not in {r["slug"] for r in rows}
    xai = next(r for r in rows if r["slug"] == "xai-anthropic-colossus-1")
    case = published.get(slug="xai-anthropic-colossus-1")
    assert xai["risk_index"] == str(case.risk_summary.risk_index)
    assert "xai:provider" in xai["parties"] and xai["rubric_version"] == "1"


def test_json_export(demo, api_client, editor):
    secret = case_create(by=editor, data=CaseInput(title="Secret draft", summary="x", announced_on=date(2026, 1, 1)))
    response = api_client.get("/api/v1/export/cases.json")
    assert response.status_code == 200
    rows = json.loads(_body(response))
    assert sorted(r["slug"] for r in rows) == sorted(Case.objects.published().values_list("slug", flat=True))
    assert secret.slug not in {r["slug"] for r in rows}
    xai = next(r for r in rows if r["slug"] == "xai-anthropic-colossus-1")
    assert {"organization": "anthropic", "role": "customer"} in xai["parties"]
    assert xai["deal_types"] == ["compute_lease"]


def test_export_of_an_empty_archive_is_valid(db, api_client):
    assert json.loads(_body(api_client.get("/api/v1/export/cases.json"))) == []
    assert _body(api_client.get("/api/v1/export/cases.csv")).splitlines() == [",".join(cases_api.EXPORT_FIELDS)]


def test_export_reads_in_chunks_with_a_fixed_number_of_queries_per_chunk(demo, api_client, monkeypatch):
    """Queries grow with the number of chunks, not of rows: each chunk prefetches once."""
    count = Case.objects.published().count()
    monkeypatch.setattr(cases_api, "EXPORT_CHUNK", count)  # one chunk
    with CaptureQueriesContext(connection) as one_chunk:
        _body(api_client.get("/api/v1/export/cases.json"))
    monkeypatch.setattr(cases_api, "EXPORT_CHUNK", (count + 1) // 2)  # two chunks
    with CaptureQueriesContext(connection) as two_chunks:
        _body(api_client.get("/api/v1/export/cases.json"))
    per_chunk = len(two_chunks) - len(one_chunk)
    assert 0 < per_chunk <= 5  # deal types, tags, parties, the scores' evidence (and the cursor's fetch)
    assert len(one_chunk) <= 7
    monkeypatch.setattr(cases_api, "EXPORT_CHUNK", 1)  # one case per chunk: still no query per field
    with CaptureQueriesContext(connection) as tiny_chunks:
        _body(api_client.get("/api/v1/export/cases.json"))
    assert len(tiny_chunks) <= 2 + per_chunk * count


def test_export_is_lazy(demo, api_client):
    """The response starts before the rows are read: nothing is materialized up front."""
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get("/api/v1/export/cases.csv")
    assert response.streaming
    assert len(queries) <= 1  # the throttle's cache aside, no case was read yet
    first = next(iter(response.streaming_content))
    assert first.startswith(b"slug,title")


def test_export_numbers_are_numbers_and_timestamps_are_the_apis(demo, api_client):
    """JSON numbers, not strings (a client summing ``risk_index`` must not concatenate), and one
    timestamp format in the CSV, the JSON export and the API alike."""
    api = {row["slug"]: row for row in api_client.get("/api/v1/cases/", {"page_size": 100}).json()["results"]}
    rows = json.loads(_body(api_client.get("/api/v1/export/cases.json")))
    csv_rows = {r["slug"]: r for r in csv.DictReader(io.StringIO(_body(api_client.get("/api/v1/export/cases.csv"))))}
    with_capacity = [r for r in rows if r["capacity_mw"] is not None]
    assert with_capacity and rows
    for row in rows:
        for name in ("risk_index", "capacity_mw"):
            assert row[name] is None or isinstance(row[name], int | float), (name, row[name])
        assert row["first_published_at"] == api[row["slug"]]["first_published_at"]
        assert csv_rows[row["slug"]]["first_published_at"] == row["first_published_at"]
        assert row["risk_index"] == api[row["slug"]]["risk_index"]
    assert rows[0]["first_published_at"].endswith("Z") and "T" in rows[0]["first_published_at"]


def test_export_item_schema_is_documented(db):
    from tests.support.api import schema

    document = schema()
    content = document["paths"]["/api/v1/export/cases.json"]["get"]["responses"]["200"]["content"]
    items = content["application/json"]["schema"]["items"]
    name = items["$ref"].rsplit("/", 1)[1]
    properties = document["components"]["schemas"][name]["properties"]
    assert list(properties) == cases_api.EXPORT_FIELDS
    assert properties["risk_index"]["type"] == "number" and properties["capacity_mw"]["type"] == "number"
    assert properties["first_published_at"]["format"] == "date-time"


def test_the_export_says_what_each_case_s_scores_rest_on(api_client, demo):
    """The export carries the evidence counts, the same as the case page's (evaluations.evidence)."""
    from evaluations.evidence import basis_counts
    from evaluations.models import EvaluationVersion

    rows = {row["slug"]: row for row in json.loads(_body(api_client.get("/api/v1/export/cases.json")))}
    version = EvaluationVersion.objects.get(case__slug="xai-anthropic-colossus-1", state="published")
    counts = basis_counts(version.scores.prefetch_related("citations", "sources"))
    row = rows["xai-anthropic-colossus-1"]
    assert (row["scores_quoted"], row["scores_source_only"], row["scores_uncited"]) == (
        counts.quoted,
        counts.source,
        counts.nothing,
    )
    assert row["scores_quoted"] == 5
    csv_rows = {r["slug"]: r for r in csv.DictReader(io.StringIO(_body(api_client.get("/api/v1/export/cases.csv"))))}
    assert csv_rows["xai-anthropic-colossus-1"]["scores_quoted"] == "5"
