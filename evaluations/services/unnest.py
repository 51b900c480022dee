"""Bulk writers for the summary recompute: ``UPDATE``/``INSERT`` from ``unnest`` arrays on
PostgreSQL, Django's bulk operations elsewhere."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection

from evaluations.models import OrganizationExposure, PartyFigure, RiskSummary

SUMMARY_FIELDS = [
    "rubric_version",
    "evaluation_version",
    "risk_index",
    "risk_band",
    "classification",
    "missing_criteria",
    "needs_reevaluation",
    "inputs_hash",
    "computed_at",
    "stale",
    "stale_since",
]


# A column written through ``unnest``: its name, its PostgreSQL type, how to read it off a row.
UnnestColumn = tuple[str, str, Callable[[Any], Any]]


def unnest_execute(sql: str, columns: list[UnnestColumn], rows: list, *, chunk: int = 1000) -> None:
    """Run ``sql`` once per ``chunk`` rows, passing one array per column.

    ``sql`` reads the rows as ``{unnest}``: ``unnest(%s::type[], ...) AS v(col, ...)``.
    Arrays rather than a placeholder per value: psycopg parses 12,000
    placeholders slowly, and a dozen arrays quickly.
    """
    names = ", ".join(name for name, _, _ in columns)
    arrays = ", ".join(f"%s::{kind}[]" for _, kind, _ in columns)
    sql = sql.format(unnest=f"unnest({arrays}) AS v({names})", names=names)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            cursor.execute(sql, [[get(row) for row in part] for _, _, get in columns])


def summaries_write(summaries: list[RiskSummary]) -> None:
    """Write the summaries' computed fields in one statement per thousand rows.

    Django's bulk_update builds a CASE WHEN per row and field, which costs
    more Python time than the whole computation; on PostgreSQL an
    ``UPDATE ... FROM unnest(...)`` does the same in a fraction of it.
    """
    if not summaries:
        return
    if connection.vendor != "postgresql":
        RiskSummary.objects.bulk_update(summaries, SUMMARY_FIELDS, batch_size=500)
        return
    columns: list[UnnestColumn] = [
        ("id", "bigint", lambda r: r.pk),
        ("rubric_version_id", "bigint", lambda r: r.rubric_version_id),
        ("evaluation_version_id", "bigint", lambda r: r.evaluation_version_id),
        ("risk_index", "numeric", lambda r: r.risk_index),
        ("risk_band", "text", lambda r: r.risk_band),
        ("classification", "text", lambda r: r.classification),
        ("missing_criteria", "jsonb", lambda r: json.dumps(r.missing_criteria)),
        ("needs_reevaluation", "boolean", lambda r: r.needs_reevaluation),
        ("inputs_hash", "text", lambda r: r.inputs_hash),
        ("computed_at", "timestamptz", lambda r: r.computed_at),
        ("stale", "boolean", lambda r: r.stale),
        ("stale_since", "timestamptz", lambda r: r.stale_since),
    ]
    table = RiskSummary._meta.db_table
    assignments = ", ".join(f"{name} = v.{name}" for name, _, _ in columns[1:])
    unnest_execute(f"UPDATE {table} AS s SET {assignments} FROM {{unnest}} WHERE s.id = v.id", columns, summaries)  # noqa: S608


class FigureRow(NamedTuple):
    """A PartyFigure to insert (a tuple: building thousands of model instances costs more than writing them)."""

    summary_id: int
    party_id: int
    organization_id: int
    leverage: Decimal | None
    workaround: Decimal | None
    dependency: Decimal | None
    classification: str


def party_figures_write(figures: list[FigureRow]) -> None:
    """Insert the summaries' party figures: one ``INSERT ... SELECT FROM unnest`` per thousand rows."""
    if not figures:
        return
    if connection.vendor != "postgresql":
        PartyFigure.objects.bulk_create((PartyFigure(**row._asdict()) for row in figures), batch_size=1000)
        return
    columns: list[UnnestColumn] = [
        ("summary_id", "bigint", lambda f: f.summary_id),
        ("party_id", "bigint", lambda f: f.party_id),
        ("organization_id", "bigint", lambda f: f.organization_id),
        ("leverage", "numeric", lambda f: f.leverage),
        ("workaround", "numeric", lambda f: f.workaround),
        ("dependency", "numeric", lambda f: f.dependency),
        ("classification", "text", lambda f: f.classification),
    ]
    table = PartyFigure._meta.db_table
    unnest_execute(f"INSERT INTO {table} ({{names}}) SELECT {{names}} FROM {{unnest}}", columns, figures)  # noqa: S608


EXPOSURE_FIELDS = [
    "suppliers",
    "concentration_hhi",
    "classification_counts",
    "trend",
    "independent_paths",
    "inputs_hash",
    "computed_at",
    "stale",
    "stale_since",
]


def exposures_write(rows: list[OrganizationExposure]) -> None:
    """Write recomputed exposures: ``UPDATE ... FROM unnest`` on PostgreSQL (bulk_update's
    CASE WHEN over five JSON columns took seconds per thousand rows), bulk_update elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        OrganizationExposure.objects.bulk_update(rows, EXPOSURE_FIELDS, batch_size=500)
        return
    columns: list[UnnestColumn] = [
        ("id", "bigint", lambda r: r.pk),
        ("suppliers", "jsonb", lambda r: json.dumps(r.suppliers)),
        ("concentration_hhi", "numeric", lambda r: r.concentration_hhi),
        ("classification_counts", "jsonb", lambda r: json.dumps(r.classification_counts)),
        ("trend", "jsonb", lambda r: json.dumps(r.trend)),
        ("independent_paths", "jsonb", lambda r: json.dumps(r.independent_paths)),
        ("inputs_hash", "text", lambda r: r.inputs_hash),
        ("computed_at", "timestamptz", lambda r: r.computed_at),
        ("stale", "boolean", lambda r: r.stale),
        ("stale_since", "timestamptz", lambda r: r.stale_since),
    ]
    table = OrganizationExposure._meta.db_table
    assignments = ", ".join(f"{name} = v.{name}" for name, _, _ in columns[1:])
    unnest_execute(f"UPDATE {table} AS s SET {assignments} FROM {{unnest}} WHERE s.id = v.id", columns, rows)  # noqa: S608
