"""Risk summaries: marking them stale, recomputing them in batches, the fan-out after a
rubric activation. Each recompute is idempotent (the inputs' hash decides)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from cases.models import Case, Party
from evaluations import queue, scoring, selectors
from evaluations.models import Evaluation, PartyFigure, RiskSummary
from evaluations.services.exposures import organization_exposures_mark_stale
from evaluations.services.unnest import FigureRow, party_figures_write, summaries_write


def risk_summaries_mark_stale(case_ids: Iterable[int] | QuerySet) -> None:
    """Flag the cases' summaries stale, in the caller's transaction.

    The flag is the durable record that work is owed: if the message that
    should do the work is lost, the sweep finds the flag and queues it again.
    ``case_ids`` may be a queryset of ids, which stays a subquery (activation
    marks a whole archive without loading it into memory).
    """
    now = timezone.now()
    if not isinstance(case_ids, QuerySet):
        case_ids = list(case_ids)
    _summaries_create_missing(case_ids, now=now)
    RiskSummary.objects.filter(case_id__in=case_ids, stale=False).update(stale=True, stale_since=now)


def _summary_hash(inputs: selectors.SummaryInputs) -> str:
    # The rubric version's content and the published version's scores are immutable (0006's
    # triggers), so their ids alone would name them; the content stays in the hash because the
    # set-based recompute spells this same JSON text (recompute_set._hash_prefix and its SQL), so
    # that each path sees the other's summaries as current.
    rubric_version = inputs.rubric_version
    criteria = rubric_version.criteria.all() if rubric_version else ()
    return scoring.fingerprint(
        rubric_version and [rubric_version.pk, rubric_version.scale_min, rubric_version.scale_max],
        rubric_version and rubric_version.classification,
        [(c.key, c.family, str(c.weight), c.per_party) for c in criteria],
        inputs.version_id,
        sorted((party, sorted(scores.items())) for party, scores in inputs.party_scores.items()),
        sorted(inputs.deal_scores.items()),
        sorted(inputs.party_orgs.items()),
    )


def risk_summaries_recompute(*, case_ids: Iterable[int], queue_exposures: bool = True) -> list[int]:
    """Bring many cases' summaries up to date; return the ids of those rewritten.

    Reads the inputs of the whole batch in a handful of queries and writes
    with bulk operations, in one transaction. Idempotent: the inputs' hash
    decides whether there is work. The summary rows are locked (in id order,
    so two batches cannot deadlock) before the inputs are read, so two workers
    on one case leave one correct row, and a publish that commits meanwhile
    re-marks the row stale after this transaction instead of being overwritten.
    Deleted cases are ignored. Organization exposures touched by a change are
    marked stale here and, unless ``queue_exposures`` is off (a caller that
    recomputes them itself), queued for recompute after commit.
    """
    case_ids = sorted(set(case_ids))
    if not case_ids:
        return []
    now = timezone.now()
    specs: dict[int, scoring.RubricSpec] = {}
    changed: list[RiskSummary] = []
    rewritten: list[RiskSummary] = []
    figures: list[FigureRow] = []
    with transaction.atomic():
        _summaries_create_missing(case_ids, now=now)
        summaries = list(RiskSummary.objects.select_for_update().filter(case_id__in=case_ids).order_by("case_id"))
        all_inputs = selectors.summary_inputs([s.case_id for s in summaries])
        for summary in summaries:
            inputs = all_inputs[summary.case_id]
            inputs_hash = _summary_hash(inputs)
            if summary.inputs_hash == inputs_hash and summary.computed_at is not None:
                if summary.stale:
                    summary.stale, summary.stale_since = False, None
                    changed.append(summary)  # only the flag: figures stay
                continue
            rubric_version = inputs.rubric_version
            if rubric_version is not None and rubric_version.pk not in specs:
                specs[rubric_version.pk] = selectors.rubric_spec(rubric_version)
            result = (
                scoring.summarize(specs[rubric_version.pk], inputs.party_scores, inputs.deal_scores)
                if rubric_version is not None
                else None
            )
            summary.rubric_version = rubric_version
            summary.evaluation_version_id = inputs.version_id
            summary.risk_index = result.risk_index if result else None
            summary.risk_band = result.risk_band if result else ""
            summary.classification = (result.classification or "") if result else ""
            summary.missing_criteria = list(result.missing) if result else []
            summary.needs_reevaluation = bool(result and result.needs_reevaluation)
            summary.inputs_hash = inputs_hash
            summary.computed_at = now
            summary.stale, summary.stale_since = False, None
            changed.append(summary)
            rewritten.append(summary)
            figures.extend(
                FigureRow(
                    summary.pk,
                    figure.party,
                    inputs.party_orgs[figure.party],
                    figure.leverage,
                    figure.workaround,
                    figure.dependency,
                    figure.classification,
                )
                for figure in (result.parties if result else ())
            )
        summaries_write(changed)
        rewritten_ids = [s.pk for s in rewritten]
        organization_ids = set(
            PartyFigure.objects.filter(summary_id__in=rewritten_ids).values_list("organization_id", flat=True)
        )
        PartyFigure.objects.filter(summary_id__in=rewritten_ids).delete()
        party_figures_write(figures)
        organization_ids |= {f.organization_id for f in figures}
        organization_ids |= set(
            Party.objects.filter(case_id__in=[s.case_id for s in rewritten]).values_list("organization_id", flat=True)
        )
        organization_exposures_mark_stale(organization_ids, now=now)
        if queue_exposures:
            # Debounced: an organization's exposure reads all its cases, so publishes
            # in a row coalesce into one recompute. A full recompute's batches do not
            # come here: they queue the exposures once, after the last batch
            # (recompute_set.risk_summaries_recompute_batch).
            queue.send_on_commit_coalesced(
                queue.ORGANIZATION_EXPOSURES_RECOMPUTE,
                "exposure",
                organization_ids,
                batch_size=settings.RECOMPUTE_BATCH_SIZE,
                countdown=settings.EXPOSURE_DEBOUNCE_SECONDS,
            )
    return [s.case_id for s in rewritten]


def _summaries_create_missing(case_ids: list[int] | QuerySet, *, now: datetime) -> None:
    """Create the summary rows the cases lack, stale since ``now`` (``stale``: the field's default),
    so that they can be locked (the recompute) or counted as owed work (``risk_summaries_mark_stale``).
    A row another transaction creates meanwhile is left as it is."""
    missing = Case.objects.filter(pk__in=case_ids, risk_summary__isnull=True).values_list("pk", flat=True)
    RiskSummary.objects.bulk_create(
        [RiskSummary(case_id=case_id, stale_since=now) for case_id in missing], batch_size=1000, ignore_conflicts=True
    )


def risk_summary_recompute(*, case_id: int) -> bool:
    """Bring one case's summary up to date; return whether its figures were rewritten."""
    return bool(risk_summaries_recompute(case_ids=[case_id]))


def risk_summary_request(case_id: int) -> None:
    """Mark a case's summary stale and queue its recompute after commit.

    A recompute requested again while one is already waiting is coalesced.
    """
    risk_summaries_mark_stale([case_id])
    queue.send_on_commit_coalesced(
        queue.RISK_SUMMARIES_RECOMPUTE, "summary", [case_id], batch_size=settings.RECOMPUTE_BATCH_SIZE
    )


def risk_summaries_fanout(*, rubric_id: int, after_case_id: int = 0) -> int:
    """Queue one step of a rubric's stale summaries, then a task for the rest; return ids queued.

    A step reads at most FANOUT_BATCHES_PER_STEP x RECOMPUTE_BATCH_SIZE case
    ids (ids only) and sends them as that many batch messages, so no message
    and no transaction ever holds the whole archive, and 100,000 cases take
    about a hundred messages. The chain walks case ids in order. If the
    broker fails halfway the chain stops; the stale flags remain and the
    sweep finishes the work.
    """
    size = settings.RECOMPUTE_BATCH_SIZE
    step = size * settings.FANOUT_BATCHES_PER_STEP
    case_ids = list(
        RiskSummary.objects.filter(
            stale=True,
            case_id__gt=after_case_id,
            case_id__in=Evaluation.objects.filter(rubric_version__rubric_id=rubric_id).values("case_id"),
        )
        .order_by("case_id")
        .values_list("case_id", flat=True)[:step]
    )
    # Claimed, not just marked: what the sweep already queued (it may, after STALE_GRACE_SECONDS) is skipped.
    _, complete = queue.send_coalesced(queue.RISK_SUMMARIES_RECOMPUTE, "summary", case_ids, batch_size=size)
    if not complete:
        return 0  # broker down: the chain stops here and the sweep finishes the work
    if len(case_ids) == step:
        queue.send(queue.RISK_SUMMARIES_FANOUT, rubric_id, case_ids[-1])
    return len(case_ids)
