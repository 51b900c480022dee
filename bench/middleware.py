"""Counts the queries each request runs, for the benchmark's query-count column."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse

HEADER = "X-Bench-Queries"


def query_count(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        calls = 0

        def count(execute, sql, params, many, context):
            nonlocal calls
            calls += 1
            return execute(sql, params, many, context)

        # A streamed response runs its queries after this returns; they are not counted.
        with connection.execute_wrapper(count):
            response = get_response(request)
        response[HEADER] = str(calls)
        return response

    return middleware
