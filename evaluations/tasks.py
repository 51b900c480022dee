"""Celery tasks: each takes ids and calls one service."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from evaluations import services

# Retried on database trouble only: a task that failed on bad data would fail again.
RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**RETRY)
def risk_summary_recompute_task(case_id: int) -> None:
    services.risk_summary_recompute(case_id=case_id)


@shared_task(**RETRY)
def evaluation_versions_publish_due_task() -> None:
    services.evaluation_versions_publish_due()


@shared_task(**RETRY)
def risk_summary_sweep_task() -> None:
    services.risk_summaries_sweep()


@shared_task(**RETRY)
def risk_summaries_recompute_fanout_task(rubric_id: int, after_case_id: int = 0) -> None:
    """Queue the recompute of one bounded batch of stale cases, then the next batch."""
    services.risk_summaries_fanout(rubric_id=rubric_id, after_case_id=after_case_id)


@shared_task(**RETRY)
def risk_summaries_recompute_batch_task(case_ids: list[int]) -> None:
    for case_id in case_ids:
        services.risk_summary_recompute(case_id=case_id)
