"""Smoke tests of the benchmark harness (nothing here is timed)."""

from __future__ import annotations

import pytest
from django.db import connection

from bench import bench, floor
from bench.synthetic import generate_archive
from cases.models import Case


@pytest.fixture
def archive(db):
    return generate_archive(cases=30, seed=1, prefix="h")


@pytest.fixture
def bench_urls(settings):
    settings.ROOT_URLCONF = "bench.urls"
    settings.MIDDLEWARE = ["bench.middleware.query_count", *settings.MIDDLEWARE]


def test_percentile_and_timing():
    samples = [i / 1000 for i in range(1, 201)]  # 1..200 ms
    assert bench.percentile(samples, 99) == 0.198
    assert bench.percentile(samples, 50) == 0.1
    timing = bench.Timing(samples=[0.01, 0.02, 0.03])
    assert timing.p50_ms == pytest.approx(20)
    assert timing.rps == pytest.approx(50)


def test_every_page_url_fills_from_the_archive(archive):
    params = bench.archive_params()
    assert params["cases"] == archive.published_cases
    for page in bench.PAGES:
        assert bench.fill(page.url, params).startswith("/")
        assert bench.fill(page.floor, params).startswith("/__bench__/floor/")


def test_floors_run_one_query(archive, bench_urls, client, django_assert_num_queries):
    params = bench.archive_params()
    for page in bench.PAGES:
        if page.search and connection.vendor != "postgresql":
            continue  # the search floor is a PostgreSQL tsquery
        url = bench.fill(page.floor, params)
        headers = {}
        if page.conditional:
            etag = client.get(url)["ETag"]
            headers = {"If-None-Match": etag}
        with django_assert_num_queries(1):
            response = client.get(url, headers=headers)
        assert response.status_code == (304 if page.conditional else 200), url
        assert response[bench.QUERIES_HEADER] == "1"


def test_archive_floor_pages_and_filters(archive, bench_urls, client):
    first = client.get("/__bench__/floor/archive/").content.decode()
    assert first.count("<li>") == floor.PER_PAGE
    assert client.get("/__bench__/floor/api/cases/?n=25").json()["results"].__len__() == 25
    last = client.get("/__bench__/floor/archive/?n=5&last=1").content.decode()
    oldest = Case.objects.published().order_by("announced_on", "id")[:5]
    # The last page: the oldest rows, shown newest first like every other page.
    assert [line.split("/cases/")[1].split("/")[0] for line in last.split("<li>")[1:]] == [
        c.slug for c in reversed(oldest)
    ]
    assert client.get("/__bench__/floor/archive/?risk_band=nonesuch").content.decode().count("<li>") == 0


def test_last_page_is_reached_by_the_archive_last_link(archive, client, monkeypatch):
    def get(port, url, headers=None):
        response = client.get(url)
        return response.status_code, {}, response.content, 0.0

    monkeypatch.setattr(bench, "get", get)
    url = bench.follow_link(0, "/", "last")
    assert url and url.startswith("/?cursor=")
    last = client.get(url).content.decode()
    oldest = Case.objects.published().order_by("announced_on", "id").first()
    assert oldest.get_absolute_url() in last and 'rel="last"' not in last
    assert bench.follow_link(0, "/cases/nonesuch/", "last") is None


def test_search_floor_uses_the_reader_search_document(archive):
    sql = floor.search_sql()
    assert "cases_casesearchdocument" in sql and "d.vector @@ websearch_to_tsquery('english', %s)" in sql
    assert "ts_rank(d.vector" in sql and "LIMIT 20" in sql
    assert "ORDER BY c.announced_on DESC" in floor.search_sql("newest", 25) and "LIMIT 25" in floor.search_sql(
        "newest", 25
    )


def test_count_messages_reads_the_worker_log():
    log = (
        "[2026-11-27 04:00:00,000: INFO/MainProcess] Task evaluations.tasks.risk_summaries_recompute_task"
        "[0b1c] received\n"
        "[2026-11-27 04:00:00,100: INFO/MainProcess] Task evaluations.tasks.risk_summaries_recompute_task"
        "[0b1d] received\n"
        "[2026-11-27 04:00:00,200: INFO/MainProcess] Task evaluations.tasks.risk_summaries_fanout_task"
        "[0b1e] received\n"
        "[2026-11-27 04:00:01,000: INFO/ForkPoolWorker-1] Task evaluations.tasks.x[0b1c] succeeded in 1s: 1\n"
    )
    assert bench.count_messages(log) == {
        "risk_summaries_recompute_task": 2,
        "risk_summaries_fanout_task": 1,
    }


def test_results_section_is_written_per_archive_size(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "RESULTS", tmp_path / "RESULTS.md")
    env = {"machine": "2 cores, test CPU", "date": "2026-11-27 04:00 UTC", "versions": "Python 3"}
    page = bench.PAGES[0]
    measured = bench.PageResult(
        page, "/", bench.Timing([0.010] * 5, queries=4, status=200), bench.Timing([0.005] * 5, queries=1)
    )
    skipped = bench.PageResult(bench.PAGES[7], "/api/v1/cases/", skipped="404: not built yet")
    recompute = [
        bench.RecomputeResult("no queue (floor)", 10.0),
        bench.RecomputeResult("1 worker process", 15.0, {"risk_summaries_recompute_task": 10}),
        bench.RecomputeResult("2 worker processes", 9.0, {"risk_summaries_recompute_task": 10}),
    ]
    exports = [bench.ExportResult("/api/v1/export/cases.csv", skipped="404: not built yet")]
    for cases in (100_000, 10_000, 100_000):
        section = bench.render_section(cases, env, "generated", [measured, skipped], recompute, exports, ["a note"])
        bench.write_results(cases, section)
    text = (tmp_path / "RESULTS.md").read_text()
    assert text.count("## 10,000 cases") == 1 and text.count("## 100,000 cases") == 1
    assert text.index("## 10,000 cases") < text.index("## 100,000 cases")
    assert "| 10.0 | 10.0 | 5 | 100 | 4 | 5.0 | 1 | 2.00 |" in text  # p50, p99, n, req/s, queries, floor, ratio
    assert "skipped: 404: not built yet" in text
    assert "| 1 worker process | 15.0 | 1.50 | — | 10 (" in text and "| met |" in text


def test_next_rubric_version_changes_every_summary_input(archive):
    from evaluations.models import RubricVersion
    from evaluations.services import rubric_versions

    active = RubricVersion.objects.get(status=RubricVersion.Status.ACTIVE)
    weights = {c.key: c.weight for c in active.criteria.all()}
    draft = bench.rubric_version_next()
    assert draft.status == RubricVersion.Status.DRAFT and draft.number == active.number + 1
    new = {c.key: c.weight for c in draft.criteria.all()}
    assert new["dependency"] == weights["dependency"] * 2 and new["margin"] == weights["margin"]
    rubric_versions.rubric_version_activate(version=draft, by=None)
    again = bench.rubric_version_next()  # halves it back: weights stay bounded run after run
    assert {c.key: c.weight for c in again.criteria.all()} == weights


def test_export_download_counts_bytes_and_memory():
    import http.server
    import os
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/export.csv":
                self.send_error(404)
                return
            self.send_response(200)
            self.end_headers()  # no Content-Length: streamed until the connection closes
            for _ in range(10):
                self.wfile.write(b"x" * 1000)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        found = bench.ExportResult("/export.csv")
        bench._download(port, "/export.csv", os.getpid(), found)
        missing = bench.ExportResult("/nothing.csv")
        bench._download(port, "/nothing.csv", os.getpid(), missing)
    finally:
        server.shutdown()
    assert not found.skipped and found.bytes == 10_000 and found.streamed
    assert found.rss_peak_mb >= found.rss_before_mb > 0
    assert missing.skipped == "404: not built yet"


def test_growth_table_gives_each_figure_its_ratio(tmp_path, monkeypatch):
    import json

    monkeypatch.setattr(bench, "figures_path", lambda cases: tmp_path / f"{cases}.json")
    (tmp_path / "10.json").write_text(
        json.dumps({"archive, first page p50 ms": 10, "recompute: 1 worker process s": 2})
    )
    (tmp_path / "100.json").write_text(
        json.dumps({"archive, first page p50 ms": 11, "recompute: 1 worker process s": 40})
    )
    table = bench.render_growth(10, 100)
    assert table.startswith("## Growth: 10 to 100 cases")
    assert "| archive, first page p50 ms | 10 | 11 | 1.10 | flat | met |" in table
    assert "| recompute: 1 worker process s | 2 | 40 | 20.00 | linear at most | missed |" in table
    # The growth section sorts after the archive sizes in RESULTS.md.
    sections = ["## Growth: 10 to 100 cases", "## 100 cases", "## 10 cases"]
    assert sorted(sections, key=bench._section_order) == ["## 10 cases", "## 100 cases", "## Growth: 10 to 100 cases"]


def test_a_timeout_or_an_error_is_a_row_and_the_run_carries_on(monkeypatch):
    """Issue 18: the busiest neighbourhood once took longer than the client's timeout and killed the run."""
    pages = [
        bench.Page("slow", "/slow/", "/floor/"),
        bench.Page("broken", "/broken/", "/floor/"),
        bench.Page("fine", "/fine/", "/floor/"),
    ]
    monkeypatch.setattr(bench, "PAGES", pages)
    health = []

    def get(port, url, headers=None):
        if url == "/slow/":
            raise TimeoutError("timed out")
        if url == "/broken/":
            raise ConnectionResetError("reset by peer")
        if url == "/health/":
            health.append(url)
        return 200, {}, b"ok", 0.001

    monkeypatch.setattr(bench, "get", get)
    results = bench.bench_pages(0, {}, requests=5, budget=1)
    assert [r.page.name for r in results] == ["slow", "broken", "fine"]
    assert results[0].failed == f"timed out after {bench.TIMEOUT_S} s" and results[0].verdict() == "failed"
    assert results[1].failed.startswith("error: ConnectionResetError") and results[2].timing is not None
    assert len(health) == 2  # waited for the worker to answer again after each
    env = {"machine": "m", "date": "d", "versions": "v"}
    section = bench.render_section(100_000, env, "generated", results, [], [], [])
    assert f"| timed out after {bench.TIMEOUT_S} s |" in section and "| error: ConnectionResetError" in section


def test_graph_rows_time_a_cold_request_and_say_so():
    rows = [p for p in bench.PAGES if "graph" in p.name]
    assert {p.url for p in rows} >= {
        "/graph/",
        "/graph/?collapse=1",
        "/organizations/{org_slug}/graph/",
        "/api/v1/graph/",
    }
    assert all(p.cold and p.max_p50_ms == 50 for p in rows)
    result = bench.PageResult(rows[0], "/graph/", bench.Timing([0.004] * 5), bench.Timing([0.1] * 5), cold_ms=6000)
    assert result.verdict() == "missed"  # warm within 50 ms, cold over 5 s
    result.cold_ms = 2000
    assert result.verdict() == "met"
