"""Writes for evaluations. Each state change happens here, atomically, with
its audit entry; side effects (tasks) are queued after commit."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from cases import selectors as case_selectors
from cases.models import Case, Party
from cases.relationships import control_groups_public as paths_groups
from cases.search import search_document_refresh
from cases.services import require_permission
from core.errors import EditConflict, TransitionNotAllowed
from core.limits import text_length_errors, validate_text_lengths
from evaluations import anchoring, exposure, paths, scoring, selectors
from evaluations.models import (
    Annotation,
    AuditEntry,
    Criterion,
    Evaluation,
    EvaluationVersion,
    OrganizationExposure,
    PartyFigure,
    RiskSummary,
    Rubric,
    RubricVersion,
    Score,
)
from evaluations.queue import enqueue_on_commit, send_on_commit_coalesced

logger = logging.getLogger(__name__)


def audit_record(
    *,
    action: str,
    actor: AbstractBaseUser | None,
    from_state: str,
    to_state: str,
    comment: str = "",
    evaluation_version: EvaluationVersion | None = None,
    rubric_version: RubricVersion | None = None,
    at: datetime | None = None,
    subject: str = "",
) -> AuditEntry:
    entry = AuditEntry(
        action=action,
        actor=actor,
        at=at or timezone.now(),
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        evaluation_version=evaluation_version,
        rubric_version=rubric_version,
        subject=subject,
    )
    # The callers' transactions roll the state change back with it.
    validate_text_lengths(entry)
    entry.save()
    return entry


# --- Risk summaries -------------------------------------------------------


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
    missing = Case.objects.filter(pk__in=case_ids, risk_summary__isnull=True).values_list("pk", flat=True)
    RiskSummary.objects.bulk_create(
        (RiskSummary(case_id=case_id, stale=True, stale_since=now) for case_id in missing.iterator()),
        batch_size=1000,
        ignore_conflicts=True,
    )
    RiskSummary.objects.filter(case_id__in=case_ids, stale=False).update(stale=True, stale_since=now)


def _summary_hash(inputs: selectors.SummaryInputs) -> str:
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
    from evaluations.tasks import organization_exposures_recompute_task

    case_ids = sorted(set(case_ids))
    if not case_ids:
        return []
    now = timezone.now()
    specs: dict[int, scoring.RubricSpec] = {}
    changed: list[RiskSummary] = []
    rewritten: list[RiskSummary] = []
    figures: list[_FigureRow] = []
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
                _FigureRow(
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
        _summaries_write(changed)
        rewritten_ids = [s.pk for s in rewritten]
        organization_ids = set(
            PartyFigure.objects.filter(summary_id__in=rewritten_ids).values_list("organization_id", flat=True)
        )
        PartyFigure.objects.filter(summary_id__in=rewritten_ids).delete()
        _party_figures_write(figures)
        organization_ids |= {f.organization_id for f in figures}
        organization_ids |= set(
            Party.objects.filter(case_id__in=[s.case_id for s in rewritten]).values_list("organization_id", flat=True)
        )
        organization_exposures_mark_stale(organization_ids, now=now)
        if queue_exposures:
            # Debounced: an organization's exposure reads all its cases, so while a
            # fan-out rewrites thousands of summaries it is recomputed every few
            # seconds at most, not once per batch.
            send_on_commit_coalesced(
                organization_exposures_recompute_task,
                "exposure",
                organization_ids,
                batch_size=settings.RECOMPUTE_BATCH_SIZE,
                countdown=settings.EXPOSURE_DEBOUNCE_SECONDS,
            )
    return [s.case_id for s in rewritten]


_SUMMARY_FIELDS = [
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


def _unnest_execute(sql: str, columns: list[UnnestColumn], rows: list, *, chunk: int = 1000) -> None:
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


def _summaries_write(summaries: list[RiskSummary]) -> None:
    """Write the summaries' computed fields in one statement per thousand rows.

    Django's bulk_update builds a CASE WHEN per row and field, which costs
    more Python time than the whole computation; on PostgreSQL an
    ``UPDATE ... FROM unnest(...)`` does the same in a fraction of it.
    """
    if not summaries:
        return
    if connection.vendor != "postgresql":
        RiskSummary.objects.bulk_update(summaries, _SUMMARY_FIELDS, batch_size=500)
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
    _unnest_execute(f"UPDATE {table} AS s SET {assignments} FROM {{unnest}} WHERE s.id = v.id", columns, summaries)  # noqa: S608


class _FigureRow(NamedTuple):
    """A PartyFigure to insert (a tuple: building thousands of model instances costs more than writing them)."""

    summary_id: int
    party_id: int
    organization_id: int
    leverage: Decimal | None
    workaround: Decimal | None
    dependency: Decimal | None
    classification: str


def _party_figures_write(figures: list[_FigureRow]) -> None:
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
    _unnest_execute(f"INSERT INTO {table} ({{names}}) SELECT {{names}} FROM {{unnest}}", columns, figures)  # noqa: S608


def _summaries_create_missing(case_ids: list[int], *, now: datetime) -> None:
    """Create the summary rows the cases lack (stale), so that they can be locked."""
    existing = set(RiskSummary.objects.filter(case_id__in=case_ids).values_list("case_id", flat=True))
    live = Case.objects.filter(pk__in=[c for c in case_ids if c not in existing]).values_list("pk", flat=True)
    RiskSummary.objects.bulk_create(
        [RiskSummary(case_id=case_id, stale=True, stale_since=now) for case_id in live], ignore_conflicts=True
    )


def risk_summary_recompute(*, case_id: int) -> bool:
    """Bring one case's summary up to date; return whether its figures were rewritten."""
    return bool(risk_summaries_recompute(case_ids=[case_id]))


def risk_summary_request(case_id: int) -> None:
    """Mark a case's summary stale and queue its recompute after commit.

    A recompute requested again while one is already waiting is coalesced.
    """
    from evaluations.tasks import risk_summaries_recompute_batch_task

    risk_summaries_mark_stale([case_id])
    send_on_commit_coalesced(
        risk_summaries_recompute_batch_task, "summary", [case_id], batch_size=settings.RECOMPUTE_BATCH_SIZE
    )


# --- Organization exposure --------------------------------------------------


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
    with transaction.atomic():
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
        groups = paths_groups()  # control groups for the independent paths (evaluations.paths)
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
        OrganizationExposure.objects.bulk_update(
            changed,
            [
                "suppliers",
                "concentration_hhi",
                "classification_counts",
                "trend",
                "independent_paths",
                "inputs_hash",
                "computed_at",
                "stale",
                "stale_since",
            ],
            batch_size=500,
        )
    return rewritten


def organization_exposure_request(organization_ids: Iterable[int]) -> None:
    """For the case services: parties or deal types changed; recompute after commit."""
    from evaluations.tasks import organization_exposures_recompute_task

    organization_ids = set(organization_ids)
    organization_exposures_mark_stale(organization_ids)
    send_on_commit_coalesced(
        organization_exposures_recompute_task, "exposure", organization_ids, batch_size=settings.RECOMPUTE_BATCH_SIZE
    )


def risk_summaries_sweep(*, now: datetime | None = None, limit: int = 100_000) -> int:
    """Queue a recompute for every summary and exposure stale for longer than the grace period.

    This is what makes a lost message harmless: the stale flag is in the
    database, so a broker outage or a killed worker only delays the work.
    Work already waiting in the queue is not queued twice (coalescing); the
    rest goes in batches of RECOMPUTE_BATCH_SIZE ids. Returns how many ids
    were queued.
    """
    from evaluations.queue import claim_pending, release_pending, send
    from evaluations.tasks import organization_exposures_recompute_task, risk_summaries_recompute_batch_task

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.STALE_GRACE_SECONDS)
    size = settings.RECOMPUTE_BATCH_SIZE
    queued = 0
    for model, field_name, kind, task in (
        (RiskSummary, "case_id", "summary", risk_summaries_recompute_batch_task),
        (OrganizationExposure, "organization_id", "exposure", organization_exposures_recompute_task),
    ):
        ids = list(
            model.objects.filter(stale=True, stale_since__lte=cutoff)
            .order_by("stale_since")
            .values_list(field_name, flat=True)[:limit]
        )
        claimed = sorted(claim_pending(kind, ids))
        for start in range(0, len(claimed), size):
            if not send(task, claimed[start : start + size]):
                release_pending(kind, claimed[start:])
                return queued  # broker down: the next sweep tries again
            queued += len(claimed[start : start + size])
    return queued


# --- Publishing -----------------------------------------------------------


@transaction.atomic
def evaluation_version_publish(
    *, version: EvaluationVersion, by: AbstractBaseUser | None, correction_note: str | None = None
) -> EvaluationVersion:
    """Publish a version now: the only code that makes an analysis public.

    The case's previously published version is superseded (and stays
    readable in the history); the case becomes published; its summary is
    marked stale and recomputed once the transaction commits. Who may do this
    is checked by the caller's action (approve, the scheduled task).
    """
    version = EvaluationVersion.objects.select_for_update().get(pk=version.pk)
    allowed = {EvaluationVersion.State.IN_REVIEW, EvaluationVersion.State.SCHEDULED}
    if version.state not in allowed:
        raise TransitionNotAllowed(f"a version in state {version.get_state_display()!r} cannot be published")
    now = timezone.now()
    previous = (
        EvaluationVersion.objects.select_for_update()
        .filter(case_id=version.case_id, state=EvaluationVersion.State.PUBLISHED)
        .first()
    )
    if previous is not None:
        previous.state = EvaluationVersion.State.SUPERSEDED
        previous.save(update_fields=["state", "updated_at"])
        audit_record(
            action=AuditEntry.Action.SUPERSEDE,
            actor=by,
            from_state=EvaluationVersion.State.PUBLISHED,
            to_state=EvaluationVersion.State.SUPERSEDED,
            comment=f"superseded by version {version.number}",
            evaluation_version=previous,
            at=now,
        )
    from_state = version.state
    version.state = EvaluationVersion.State.PUBLISHED
    version.published_at = now
    version.published_by = by
    if correction_note is not None:
        version.correction_note = correction_note
    version.lock_version += 1
    version.save()
    audit_record(
        action=AuditEntry.Action.PUBLISH,
        actor=by,
        from_state=from_state,
        to_state=version.state,
        comment=version.correction_note,
        evaluation_version=version,
        at=now,
    )
    Case.objects.filter(pk=version.case_id, status=Case.Status.DRAFT).update(
        status=Case.Status.PUBLISHED, first_published_at=now
    )
    risk_summary_request(version.case_id)
    search_document_refresh(version.case_id)
    case_selectors.archive_choices_forget()  # a first publication adds its organizations and tags
    return version


def evaluation_versions_publish_due(*, now: datetime | None = None) -> int:
    """Publish every scheduled version whose time has come; return how many."""
    now = now or timezone.now()
    due = EvaluationVersion.objects.filter(
        Q(state=EvaluationVersion.State.SCHEDULED) & Q(publish_at__lte=now)
    ).values_list("pk", flat=True)
    published = 0
    for pk in list(due):
        version = EvaluationVersion.objects.get(pk=pk)
        try:
            evaluation_version_publish(version=version, by=version.published_by)
        except TransitionNotAllowed:
            continue  # published or withdrawn meanwhile
        published += 1
    return published


# --- Rubric versions ------------------------------------------------------


def _rubric_version_apply(version: RubricVersion, version_data: dict) -> None:
    """Set on ``version`` the fields ``version_data`` gives (rubric_v1.json's
    ``version`` shape); fields left out keep their value."""
    if "changelog" in version_data:
        version.changelog = version_data["changelog"]
    scale = version_data.get("scale") or {}
    if "min" in scale:
        version.scale_min = scale["min"]
    if "max" in scale:
        version.scale_max = scale["max"]
    if "labels" in scale:
        version.scale_labels = list(scale["labels"])
    if "families" in version_data:
        version.families = dict(version_data["families"])
    if "classification" in version_data:
        version.classification = version_data["classification"]


def _rubric_version_criteria(version: RubricVersion, criteria_data: Iterable[dict]) -> list[Criterion]:
    """Unsaved criteria of ``version`` from a list shaped like rubric_v1.json's
    ``criteria``; the one parsing of such a list. A criterion without a
    ``position`` takes its place in the list."""
    return [
        Criterion(
            version=version,
            key=item.get("key", ""),
            family=item.get("family", ""),
            weight=Decimal(str(item.get("weight", 1))),
            per_party=bool(item.get("per_party", True)),
            question=item.get("question", ""),
            guidance=item.get("guidance", ""),
            position=item.get("position", index),
        )
        for index, item in enumerate(criteria_data)
    ]


@transaction.atomic
def rubric_version_create(*, rubric: Rubric, data: dict, by: AbstractBaseUser | None) -> RubricVersion:
    """Create a draft version from data shaped like rubric_v1.json's
    ``version`` plus ``criteria``. Raises ValidationError on bad data."""
    version_data = data.get("version") or {}
    number = version_data.get("number") or (
        (RubricVersion.objects.filter(rubric=rubric).aggregate(n=Max("number"))["n"] or 0) + 1
    )
    version = RubricVersion(rubric=rubric, number=number, status=RubricVersion.Status.DRAFT, created_by=by)
    _rubric_version_apply(version, version_data)
    criteria = _rubric_version_criteria(version, data.get("criteria") or [])
    rubric_version_validate(version, criteria)
    version.save()
    Criterion.objects.bulk_create(criteria)
    return version


def rubric_version_validate(version: RubricVersion, criteria: list[Criterion]) -> None:
    """Check that a version's data can drive the engine, field by field."""
    errors: dict[str, list[str]] = {}
    try:
        version.full_clean(exclude=["rubric", "created_by"], validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if RubricVersion.objects.filter(rubric_id=version.rubric_id, number=version.number).exclude(pk=version.pk).exists():
        errors.setdefault("number", []).append(f"version {version.number} already exists")
    if not criteria:
        errors.setdefault("criteria", []).append("a rubric version needs at least one criterion")
    keys = [c.key for c in criteria]
    if len(keys) != len(set(keys)):
        errors.setdefault("criteria", []).append("criterion keys must be unique")
    for index, criterion in enumerate(criteria):
        try:
            criterion.full_clean(exclude=["version"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                errors.setdefault(f"criteria[{index}].{field_name}", []).extend(messages)
        if criterion.weight is not None and criterion.weight <= 0:
            errors.setdefault(f"criteria[{index}].weight", []).append("must be positive")
    if not errors:
        try:
            scoring.RubricSpec.build(
                scale_min=version.scale_min,
                scale_max=version.scale_max,
                criteria=[scoring.CriterionSpec(c.key, c.family, c.weight, c.per_party) for c in criteria],
                classification=version.classification,
            )
        except scoring.RubricDataError as exc:
            errors.setdefault("classification", []).append(str(exc))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def rubric_version_activate(*, version: RubricVersion, by: AbstractBaseUser | None) -> RubricVersion:
    """Activate a draft version, retiring the active one, and re-score the archive.

    Every published case's summary is marked stale in this transaction; the
    recompute fans out on the workers after commit.
    """
    from evaluations.tasks import risk_summaries_recompute_fanout_task

    version = RubricVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != RubricVersion.Status.DRAFT:
        raise TransitionNotAllowed(f"only a draft version can be activated; this one is {version.status}")
    rubric_version_validate(version, list(version.criteria.all()))
    now = timezone.now()
    for previous in RubricVersion.objects.select_for_update().filter(
        rubric_id=version.rubric_id, status=RubricVersion.Status.ACTIVE
    ):
        previous.status = RubricVersion.Status.RETIRED
        previous.retired_at = now
        previous.save(update_fields=["status", "retired_at"])
        audit_record(
            action=AuditEntry.Action.RETIRE,
            actor=by,
            from_state=RubricVersion.Status.ACTIVE,
            to_state=RubricVersion.Status.RETIRED,
            comment=f"replaced by version {version.number}",
            rubric_version=previous,
            at=now,
        )
    version.status = RubricVersion.Status.ACTIVE
    version.activated_at = now
    version.save(update_fields=["status", "activated_at"])
    audit_record(
        action=AuditEntry.Action.ACTIVATE,
        actor=by,
        from_state=RubricVersion.Status.DRAFT,
        to_state=RubricVersion.Status.ACTIVE,
        rubric_version=version,
        at=now,
    )
    # A subquery, not a list: the archive may hold 100,000 cases.
    risk_summaries_mark_stale(
        Case.objects.filter(evaluations__rubric_version__rubric_id=version.rubric_id).values("pk").distinct()
    )
    enqueue_on_commit(risk_summaries_recompute_fanout_task, version.rubric_id)
    return version


def risk_summaries_fanout(*, rubric_id: int, after_case_id: int = 0) -> int:
    """Queue one step of a rubric's stale summaries, then a task for the rest; return ids queued.

    A step reads at most FANOUT_BATCHES_PER_STEP x RECOMPUTE_BATCH_SIZE case
    ids (ids only) and sends them as that many batch messages, so no message
    and no transaction ever holds the whole archive, and 100,000 cases take
    about a hundred messages. The chain walks case ids in order. If the
    broker fails halfway the chain stops; the stale flags remain and the
    sweep finishes the work.
    """
    from evaluations.queue import claim_pending, send
    from evaluations.tasks import risk_summaries_recompute_batch_task, risk_summaries_recompute_fanout_task

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
    for start in range(0, len(case_ids), size):
        # Claimed, not just marked: what the sweep already queued (it may, after STALE_GRACE_SECONDS) is skipped.
        batch = claim_pending("summary", case_ids[start : start + size])
        if batch and not send(risk_summaries_recompute_batch_task, batch):
            return start
    if len(case_ids) == step:
        send(risk_summaries_recompute_fanout_task, rubric_id, case_ids[-1])
    return len(case_ids)


@transaction.atomic
def rubric_version_clone(*, version: RubricVersion, by: AbstractBaseUser | None) -> RubricVersion:
    """Start a new draft version of a rubric as a copy of ``version`` (usually the active one).

    The copy gets the next number, the same scale, families, thresholds and
    criteria (same keys, so scores carry over), and an empty changelog to write.
    """
    source = RubricVersion.objects.prefetch_related(selectors.criteria_prefetch()).get(pk=version.pk)
    number = (RubricVersion.objects.filter(rubric_id=source.rubric_id).aggregate(n=Max("number"))["n"] or 0) + 1
    draft = RubricVersion.objects.create(
        rubric_id=source.rubric_id,
        number=number,
        status=RubricVersion.Status.DRAFT,
        changelog="",
        scale_min=source.scale_min,
        scale_max=source.scale_max,
        scale_labels=list(source.scale_labels),
        families=dict(source.families),
        classification=copy.deepcopy(source.classification),
        created_by=by,
    )
    Criterion.objects.bulk_create(
        Criterion(
            version=draft,
            key=c.key,
            family=c.family,
            weight=c.weight,
            per_party=c.per_party,
            question=c.question,
            guidance=c.guidance,
            position=c.position,
        )
        for c in source.criteria.all()
    )
    audit_record(
        action=AuditEntry.Action.CREATE,
        actor=by,
        from_state="",
        to_state=RubricVersion.Status.DRAFT,
        comment=f"cloned from version {source.number}",
        rubric_version=draft,
    )
    return draft


def rubric_version_require_draft(version: RubricVersion) -> RubricVersion:
    """Lock a rubric version for editing; refuse unless it is a draft.

    Every edit of a version or its criteria (the admin's included) goes
    through this in its transaction: an active or retired version never changes.
    """
    if version.pk is None:
        return version
    current = RubricVersion.objects.select_for_update().get(pk=version.pk)
    if current.status != RubricVersion.Status.DRAFT:
        raise TransitionNotAllowed(f"version {current.number} is {current.status}: it can no longer change")
    return current


@transaction.atomic
def rubric_version_update_draft(*, version: RubricVersion, by: AbstractBaseUser | None, data: dict) -> RubricVersion:
    """Edit a draft from data shaped like rubric_version_create's: the
    ``version`` fields given change, the others keep their value; ``criteria``,
    when given, replaces the draft's whole list. The result is validated as a
    new version is, before anything is written; an active or retired version
    is refused (TransitionNotAllowed)."""
    current = rubric_version_require_draft(version)
    version_data = data.get("version") or {}
    if "number" in version_data and version_data["number"] != current.number:
        raise ValidationError({"number": ["a version's number cannot change; create a new version instead"]})
    _rubric_version_apply(current, version_data)
    replace = data.get("criteria") is not None
    criteria = _rubric_version_criteria(current, data["criteria"]) if replace else list(current.criteria.all())
    rubric_version_validate(current, criteria)
    current.save()
    if replace:
        # A draft's criteria have no scores (work starts under the active version
        # only), so the list can be replaced outright.
        current.criteria.all().delete()
        Criterion.objects.bulk_create(criteria)
    return current


# --- Writing and review -----------------------------------------------------


@dataclass(frozen=True)
class ScoreInput:
    """One score as an edge (form, API) hands it to the service."""

    criterion: str  # criterion key
    party_id: int | None  # None for a per-deal criterion
    value: int
    rationale: str = ""
    source_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class AnnotationInput:
    quote: str
    kind: str
    body: str
    prefix: str | None = None  # None: taken from the narrative around the quote
    suffix: str | None = None


def _require_state(version: EvaluationVersion, states: Iterable[str], doing: str) -> None:
    states = tuple(states)
    if version.state not in states:
        raise TransitionNotAllowed(f"cannot {doing} a version that is {version.get_state_display()}")


def _transition(
    version: EvaluationVersion, *, to: str, action: str, by: AbstractBaseUser | None, comment: str = "", **fields
) -> EvaluationVersion:
    from_state = version.state
    version.state = to
    for name, value in fields.items():
        setattr(version, name, value)
    version.lock_version += 1
    version.save()
    audit_record(
        action=action, actor=by, from_state=from_state, to_state=to, comment=comment, evaluation_version=version
    )
    return version


def _locked(version: EvaluationVersion) -> EvaluationVersion:
    return EvaluationVersion.objects.select_for_update().select_related("evaluation__rubric_version").get(pk=version.pk)


def rubric_version_for_new_work(case: Case) -> RubricVersion:
    """The active version of the case's rubric (or of the only rubric there is)."""
    rubric_id = (
        Evaluation.objects.filter(case=case).values_list("rubric_version__rubric_id", flat=True).order_by("-pk").first()
    )
    versions = RubricVersion.objects.filter(status=RubricVersion.Status.ACTIVE)
    if rubric_id is not None:
        versions = versions.filter(rubric_id=rubric_id)
    version = versions.order_by("rubric_id").first()
    if version is None:
        raise TransitionNotAllowed("there is no active rubric version to evaluate under")
    return version


@transaction.atomic
def evaluation_version_start(*, case: Case, by: AbstractBaseUser) -> EvaluationVersion:
    """Start a draft under the active rubric, prefilled from the published version.

    Scores carry over by criterion key; annotations carry over and are flagged
    orphaned when their quote no longer matches.
    """
    require_permission(by, "evaluations.add_evaluationversion", "start an evaluation")
    case = Case.objects.select_for_update().get(pk=case.pk)
    open_version = EvaluationVersion.objects.filter(
        case=case,
        state__in=[EvaluationVersion.State.DRAFT, EvaluationVersion.State.IN_REVIEW, EvaluationVersion.State.SCHEDULED],
    ).first()
    if open_version is not None:
        raise TransitionNotAllowed(
            f"version {open_version.number} of this case is already {open_version.get_state_display()}; "
            "work on it instead"
        )
    rubric_version = rubric_version_for_new_work(case)
    evaluation, _ = Evaluation.objects.get_or_create(case=case, rubric_version=rubric_version)
    previous = EvaluationVersion.objects.filter(case=case, state=EvaluationVersion.State.PUBLISHED).first()
    number = (EvaluationVersion.objects.filter(case=case).aggregate(n=Max("number"))["n"] or 0) + 1
    version = EvaluationVersion.objects.create(
        evaluation=evaluation,
        case=case,
        number=number,
        author=by,
        based_on=previous,
        narrative=previous.narrative if previous else "",
        verdict=previous.verdict if previous else "",
    )
    if previous is not None:
        _carry_over(previous, version, rubric_version)
    audit_record(
        action=AuditEntry.Action.CREATE, actor=by, from_state="", to_state=version.state, evaluation_version=version
    )
    return version


def _carry_over(previous: EvaluationVersion, version: EvaluationVersion, rubric_version: RubricVersion) -> None:
    criteria = {c.key: c for c in rubric_version.criteria.all()}
    old_scores = list(previous.scores.select_related("criterion").prefetch_related("sources"))
    new_scores = [
        Score(
            version=version,
            criterion=criteria[score.criterion.key],
            party_id=score.party_id if criteria[score.criterion.key].per_party else None,
            value=score.value,
            rationale=score.rationale,
        )
        for score in old_scores
        if score.criterion.key in criteria
        and rubric_version.scale_min <= score.value <= rubric_version.scale_max
        and (score.party_id is not None) == criteria[score.criterion.key].per_party
    ]
    Score.objects.bulk_create(new_scores)
    by_key = {(s.criterion.key, s.party_id): s for s in old_scores}
    Score.sources.through.objects.bulk_create(
        [
            Score.sources.through(score_id=new.pk, source_id=source.pk)
            for new in new_scores
            for source in by_key[(new.criterion.key, new.party_id)].sources.all()
        ]
    )
    Annotation.objects.bulk_create(
        [
            Annotation(
                version=version,
                quote=note.quote,
                prefix=note.prefix,
                suffix=note.suffix,
                kind=note.kind,
                body=note.body,
                author_id=note.author_id,
                orphaned=anchoring.locate(version.narrative, note.quote, note.prefix, note.suffix) is None,
            )
            for note in previous.annotations.all()
        ]
    )


def _validated_scores(version: EvaluationVersion, scores: Iterable[ScoreInput]) -> list[tuple[Score, tuple[int, ...]]]:
    rubric_version = version.evaluation.rubric_version
    criteria = {c.key: c for c in rubric_version.criteria.all()}
    party_ids = set(version.case.parties.values_list("pk", flat=True))
    source_ids = set(version.case.sources.values_list("pk", flat=True))
    errors: dict[str, list[str]] = {}
    seen: set[tuple[str, int | None]] = set()
    result = []
    for index, item in enumerate(scores):
        field_name = f"scores[{index}]"
        criterion = criteria.get(item.criterion)
        problems = []
        if criterion is None:
            problems.append(f"unknown criterion {item.criterion!r} for rubric version {rubric_version.number}")
        elif criterion.per_party and item.party_id is None:
            problems.append(f"criterion {item.criterion!r} is scored per party: name the party")
        elif not criterion.per_party and item.party_id is not None:
            problems.append(f"criterion {item.criterion!r} is scored once for the deal: give no party")
        if item.party_id is not None and item.party_id not in party_ids:
            problems.append("that organization is not a party to this case")
        if not isinstance(item.value, int) or isinstance(item.value, bool):
            problems.append("the score must be a whole number")
        elif not rubric_version.scale_min <= item.value <= rubric_version.scale_max:
            problems.append(f"the score must be between {rubric_version.scale_min} and {rubric_version.scale_max}")
        if (item.criterion, item.party_id) in seen:
            problems.append("this criterion is scored twice for the same party")
        if set(item.source_ids) - source_ids:
            problems.append("a source given is not one of this case's sources")
        seen.add((item.criterion, item.party_id))
        if problems:
            errors[field_name] = problems
            continue
        score = Score(
            version=version, criterion=criterion, party_id=item.party_id, value=item.value, rationale=item.rationale
        )
        too_long = text_length_errors(score)
        if too_long:
            errors[field_name] = [f"{name}: {message}" for name, messages in too_long.items() for message in messages]
            continue
        result.append((score, tuple(item.source_ids)))
    if errors:
        raise ValidationError(errors)
    return result


def _validated_annotations(narrative: str, items: Iterable[AnnotationInput]) -> list[Annotation]:
    errors: dict[str, list[str]] = {}
    result = []
    kinds = set(Annotation.Kind.values)
    for index, item in enumerate(items):
        problems = []
        if not item.quote.strip():
            problems.append("the quote is empty")
        elif item.quote not in narrative:
            problems.append("the quote does not appear in the narrative")
        if item.kind not in kinds:
            problems.append(f"kind must be one of {', '.join(sorted(kinds))}")
        if not item.body.strip():
            problems.append("the note is empty")
        too_long = text_length_errors(Annotation(quote=item.quote, body=item.body))
        problems += [f"{name}: {message}" for name, messages in too_long.items() for message in messages]
        if problems:
            errors[f"annotations[{index}]"] = problems
            continue
        prefix, suffix = anchoring.context_for(narrative, item.quote)
        result.append(
            Annotation(
                quote=item.quote,
                prefix=prefix if item.prefix is None else item.prefix[: anchoring.CONTEXT * 2],
                suffix=suffix if item.suffix is None else item.suffix[: anchoring.CONTEXT * 2],
                kind=item.kind,
                body=item.body,
            )
        )
    if errors:
        raise ValidationError(errors)
    return result


@transaction.atomic
def evaluation_version_save(
    *,
    version: EvaluationVersion,
    by: AbstractBaseUser,
    expected_lock: int,
    narrative: str | None = None,
    verdict: str | None = None,
    change_note: str | None = None,
    scores: Iterable[ScoreInput] | None = None,
    annotations: Iterable[AnnotationInput] | None = None,
) -> EvaluationVersion:
    """Save a draft. Fields left as None keep their value; a list given replaces the list held.

    Optimistic locking: ``expected_lock`` is the ``lock_version`` the editor
    loaded. If someone saved since, EditConflict is raised and nothing is
    written. Bad scores or annotations raise ValidationError, nothing written.
    """
    require_permission(by, "evaluations.change_evaluationversion", "edit evaluations")
    current = _locked(version)
    _require_state(current, [EvaluationVersion.State.DRAFT], "edit")
    if current.lock_version != expected_lock:
        raise EditConflict(current)
    if narrative is not None:
        current.narrative = narrative
    if verdict is not None:
        current.verdict = verdict
    if change_note is not None:
        current.change_note = change_note
    validated_scores = _validated_scores(current, scores) if scores is not None else None
    validated_notes = _validated_annotations(current.narrative, annotations) if annotations is not None else None
    errors = text_length_errors(current)
    try:
        current.full_clean(
            exclude=["evaluation", "case", "author", "based_on", "published_by"], validate_constraints=False
        )
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}
    if errors:
        raise ValidationError(errors)
    current.lock_version += 1
    current.save()
    if validated_scores is not None:
        current.scores.all().delete()
        Score.objects.bulk_create([score for score, _ in validated_scores])
        Score.sources.through.objects.bulk_create(
            [
                Score.sources.through(score_id=score.pk, source_id=source_id)
                for score, source_ids in validated_scores
                for source_id in source_ids
            ]
        )
    if validated_notes is not None:
        current.annotations.all().delete()
        for note in validated_notes:
            note.version = current
            note.author = by
        Annotation.objects.bulk_create(validated_notes)
    elif narrative is not None:
        annotations_reanchor(current)
    return current


def annotations_reanchor(version: EvaluationVersion) -> None:
    """Flag the version's annotations whose quote no longer matches the narrative."""
    for note in version.annotations.all():
        orphaned = anchoring.locate(version.narrative, note.quote, note.prefix, note.suffix) is None
        if orphaned != note.orphaned:
            note.orphaned = orphaned
            note.save(update_fields=["orphaned"])


@transaction.atomic
def annotation_add(*, version: EvaluationVersion, by: AbstractBaseUser, item: AnnotationInput) -> Annotation:
    require_permission(by, "evaluations.add_annotation", "annotate")
    version = _locked(version)
    _require_state(version, [EvaluationVersion.State.DRAFT, EvaluationVersion.State.IN_REVIEW], "annotate")
    (note,) = _validated_annotations(version.narrative, [item])
    note.version = version
    note.author = by
    note.save()
    return note


@transaction.atomic
def annotation_delete(*, annotation: Annotation, by: AbstractBaseUser) -> None:
    require_permission(by, "evaluations.change_annotation", "remove annotations")
    version = _locked(annotation.version)
    _require_state(
        version, [EvaluationVersion.State.DRAFT, EvaluationVersion.State.IN_REVIEW], "remove annotations from"
    )
    annotation.delete()


@transaction.atomic
def evaluation_version_submit(
    *, version: EvaluationVersion, by: AbstractBaseUser, comment: str = ""
) -> EvaluationVersion:
    require_permission(by, "evaluations.submit_evaluationversion", "submit for review")
    version = _locked(version)
    _require_state(version, [EvaluationVersion.State.DRAFT], "submit")
    if not version.scores.exists():
        raise ValidationError({"scores": ["score at least one criterion before submitting"]})
    return _transition(
        version,
        to=EvaluationVersion.State.IN_REVIEW,
        action=AuditEntry.Action.SUBMIT,
        by=by,
        comment=comment,
        submitted_at=timezone.now(),
    )


@transaction.atomic
def evaluation_version_send_back(
    *, version: EvaluationVersion, by: AbstractBaseUser, comment: str
) -> EvaluationVersion:
    require_permission(by, "evaluations.publish_evaluationversion", "send versions back")
    if not comment.strip():
        raise ValidationError({"comment": ["say what needs to change"]})
    version = _locked(version)
    _require_state(version, [EvaluationVersion.State.IN_REVIEW, EvaluationVersion.State.SCHEDULED], "send back")
    return _transition(
        version,
        to=EvaluationVersion.State.DRAFT,
        action=AuditEntry.Action.SEND_BACK,
        by=by,
        comment=comment,
        publish_at=None,
        published_by=None,
    )


@transaction.atomic
def evaluation_version_approve(
    *,
    version: EvaluationVersion,
    by: AbstractBaseUser,
    publish_at: datetime | None = None,
    correction_note: str = "",
) -> EvaluationVersion:
    """A reviewer approves a version: published now, or scheduled for ``publish_at``.

    A reviewer cannot approve a version they wrote. A correction note is only
    for a version that replaces an already published analysis.
    """
    require_permission(by, "evaluations.publish_evaluationversion", "approve or publish")
    version = _locked(version)
    if version.author_id == by.pk:
        raise PermissionDenied("You cannot approve a version you wrote; another reviewer must.")
    _require_state(version, [EvaluationVersion.State.IN_REVIEW], "approve")
    has_published = EvaluationVersion.objects.filter(
        case_id=version.case_id, state=EvaluationVersion.State.PUBLISHED
    ).exists()
    if correction_note.strip() and not has_published:
        raise ValidationError({"correction_note": ["a first publication corrects nothing; leave the note empty"]})
    if publish_at is not None and publish_at > timezone.now():
        return _transition(
            version,
            to=EvaluationVersion.State.SCHEDULED,
            action=AuditEntry.Action.SCHEDULE,
            by=by,
            comment=f"to publish at {publish_at.isoformat()}",
            publish_at=publish_at,
            published_by=by,
            correction_note=correction_note.strip(),
        )
    return evaluation_version_publish(version=version, by=by, correction_note=correction_note.strip())
