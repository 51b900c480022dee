"""Organization exposures (marking stale, recomputing) and the sweep that re-queues
any summary or exposure left stale too long."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases.web_selectors import control_groups_public
from core.memory import gc_paused
from evaluations import exposure, paths, queue, scoring, selectors
from evaluations.models import OrganizationExposure, RiskSummary
from evaluations.services.unnest import exposures_write

# Organizations per exposure message when many are queued at once (the end of a full recompute):
# small enough that every worker process takes a share (their cost varies with the deals).
EXPOSURE_BATCH_SIZE = 100


def organization_exposures_mark_stale(organization_ids: Iterable[int], *, now: datetime | None = None) -> None:
    """Flag the organizations' exposures stale, in the caller's transaction."""
    organization_ids = sorted(set(organization_ids))
    if not organization_ids:
        return
    now = now or timezone.now()
    existing = set(
        OrganizationExposure.objects.filter(organization_id__in=organization_ids).values_list(
            "organization_id", flat=True
        )
    )
    OrganizationExposure.objects.bulk_create(
        [
            OrganizationExposure(organization_id=org_id, stale=True, stale_since=now)
            for org_id in organization_ids
            if org_id not in existing
        ],
        ignore_conflicts=True,
    )
    OrganizationExposure.objects.filter(organization_id__in=organization_ids, stale=False).update(
        stale=True, stale_since=now
    )


def organization_exposures_recompute(*, organization_ids: Iterable[int]) -> list[int]:
    """Recompute organizations' exposures from their published cases; return those rewritten.

    Idempotent through the inputs hash, rows locked in id order like summaries.
    """
    organization_ids = sorted(set(organization_ids))
    if not organization_ids:
        return []
    now = timezone.now()
    # The collector paused: the busiest organization's deals are a few hundred thousand objects.
    with gc_paused(), transaction.atomic():
        organization_exposures_mark_stale(
            set(organization_ids)
            - set(
                OrganizationExposure.objects.filter(organization_id__in=organization_ids).values_list(
                    "organization_id", flat=True
                )
            ),
            now=now,
        )
        rows = list(
            OrganizationExposure.objects.select_for_update()
            .filter(organization_id__in=organization_ids)
            .order_by("organization_id")
        )
        all_deals = selectors.exposure_deals([row.organization_id for row in rows])
        groups = control_groups_public()  # control groups for the independent paths (evaluations.paths)
        changed, rewritten = [], []
        for row in rows:
            deals = all_deals.get(row.organization_id, [])
            inputs_hash = scoring.fingerprint(
                [exposure.deals_fingerprint(deals), paths.groups_fingerprint(deals, groups)]
            )
            if row.inputs_hash == inputs_hash and row.computed_at is not None:
                if row.stale:
                    row.stale, row.stale_since = False, None
                    changed.append(row)
                continue
            result = exposure.compute(row.organization_id, deals)
            row.suppliers = result.suppliers
            row.concentration_hhi = result.hhi
            row.classification_counts = result.classification_counts
            row.trend = result.trend
            row.independent_paths = paths.compute(row.organization_id, deals, groups)
            row.inputs_hash = inputs_hash
            row.computed_at = now
            row.stale, row.stale_since = False, None
            changed.append(row)
            rewritten.append(row.organization_id)
        exposures_write(changed)
    return rewritten


def organization_exposure_request(organization_ids: Iterable[int]) -> None:
    """For the case services: parties or deal types changed; recompute after commit."""
    organization_ids = set(organization_ids)
    organization_exposures_mark_stale(organization_ids)
    queue.send_on_commit_coalesced(
        queue.ORGANIZATION_EXPOSURES_RECOMPUTE, "exposure", organization_ids, batch_size=settings.RECOMPUTE_BATCH_SIZE
    )


def organization_exposures_request_stale() -> int:
    """Once no summary is stale, queue every stale exposure now; return how many were queued.

    Called after each batch of a full recompute (an activation's fan-out, the
    sweep's batches), once its transaction commits. Those batches only mark
    the exposures they touch stale: an exposure reads every summary of its
    organization, and a full recompute changes most of them batch after
    batch, so recomputing exposures before the last batch is work thrown
    away. Whichever batch commits last sees no stale summary and queues the
    exposures once, in messages of EXPOSURE_BATCH_SIZE organizations that the
    worker processes share. Two batches committing at once may both see it:
    the pending markers coalesce them. If this message is lost, the stale
    flags remain and the sweep queues them.
    """
    if RiskSummary.objects.filter(stale=True).exists():
        return 0  # a later batch queues them
    ids = (
        OrganizationExposure.objects.filter(stale=True)
        .order_by("organization_id")
        .values_list("organization_id", flat=True)
    )
    sent, _ = queue.send_coalesced(
        queue.ORGANIZATION_EXPOSURES_RECOMPUTE,
        "exposure",
        ids,
        batch_size=min(EXPOSURE_BATCH_SIZE, settings.RECOMPUTE_BATCH_SIZE),
    )
    return sent


def risk_summaries_sweep(*, now: datetime | None = None, limit: int = 100_000) -> int:
    """Queue a recompute for every summary and exposure stale for longer than the grace period.

    This is what makes a lost message harmless: the stale flag is in the
    database, so a broker outage or a killed worker only delays the work.
    Work already waiting in the queue is not queued twice (coalescing); the
    rest goes in batches of RECOMPUTE_BATCH_SIZE ids. Returns how many ids
    were queued.

    While a summary is stale, exposures wait: the batch that leaves no
    summary stale queues them (``organization_exposures_request_stale``), as
    a pending message would, and recomputing them in the middle of a full
    recompute would be undone by the next batch. As for a pending message,
    the wait lasts PENDING_MARKER_SECONDS at most (a summary that never gets
    current must not hold them forever).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.STALE_GRACE_SECONDS)
    exposures_cutoff = cutoff
    if RiskSummary.objects.filter(stale=True).exists():
        exposures_cutoff = min(cutoff, now - timedelta(seconds=settings.PENDING_MARKER_SECONDS))
    queued = 0
    for model, field_name, kind, task, owed_before in (
        (RiskSummary, "case_id", "summary", queue.RISK_SUMMARIES_RECOMPUTE, cutoff),
        (
            OrganizationExposure,
            "organization_id",
            "exposure",
            queue.ORGANIZATION_EXPOSURES_RECOMPUTE,
            exposures_cutoff,
        ),
    ):
        ids = (
            model.objects.filter(stale=True, stale_since__lte=owed_before)
            .order_by("stale_since")
            .values_list(field_name, flat=True)[:limit]
        )
        sent, complete = queue.send_coalesced(task, kind, ids, batch_size=settings.RECOMPUTE_BATCH_SIZE)
        queued += sent
        if not complete:
            return queued  # broker down: the next sweep tries again
    return queued
