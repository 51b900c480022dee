"""Writes for evaluations. Each state change happens here, atomically, with
its audit entry; side effects (tasks) are queued after commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from cases.models import Case
from evaluations import scoring, selectors
from evaluations.models import (
    AuditEntry,
    Criterion,
    EvaluationVersion,
    PartyFigure,
    RiskSummary,
    Rubric,
    RubricVersion,
)
from evaluations.queue import enqueue_on_commit

logger = logging.getLogger(__name__)


class WorkflowError(Exception):
    """A state change the rules do not allow; the message says why."""


class TransitionNotAllowed(WorkflowError):
    """The object's current state does not allow this change (HTTP 409)."""


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
) -> AuditEntry:
    return AuditEntry.objects.create(
        action=action,
        actor=actor,
        at=at or timezone.now(),
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        evaluation_version=evaluation_version,
        rubric_version=rubric_version,
    )


# --- Risk summaries -------------------------------------------------------


def risk_summaries_mark_stale(case_ids: Iterable[int]) -> None:
    """Flag the cases' summaries stale, in the caller's transaction.

    The flag is the durable record that work is owed: if the message that
    should do the work is lost, the sweep finds the flag and queues it again.
    """
    case_ids = list(case_ids)
    now = timezone.now()
    existing = set(RiskSummary.objects.filter(case_id__in=case_ids).values_list("case_id", flat=True))
    RiskSummary.objects.bulk_create(
        [RiskSummary(case_id=case_id, stale=True, stale_since=now) for case_id in case_ids if case_id not in existing],
        ignore_conflicts=True,
    )
    RiskSummary.objects.filter(case_id__in=case_ids, stale=False).update(stale=True, stale_since=now)


def _summary_inputs(case_id: int) -> tuple[EvaluationVersion | None, RubricVersion | None, dict, dict, dict]:
    """What a case's summary is computed from.

    The case's published version, scored under whichever rubric version was
    active when it was written, is read under the rubric's *active* version:
    scores carry over by criterion key.
    """
    version = selectors.evaluation_version_current(case_id)
    if version is None:
        return None, None, {}, {}, {}
    rubric_version = selectors.rubric_version_active(version.evaluation.rubric_version.rubric_id)
    if rubric_version is None:
        return version, None, {}, {}, {}
    party_scores: dict[int, dict[str, int]] = {}
    deal_scores: dict[str, int] = {}
    parties: dict[int, int] = {}
    for score in selectors.scores_with_keys([version.pk]).select_related("party"):
        if score.party_id is None:
            deal_scores[score.criterion.key] = score.value
        else:
            party_scores.setdefault(score.party_id, {})[score.criterion.key] = score.value
            parties[score.party_id] = score.party.organization_id
    return version, rubric_version, party_scores, deal_scores, parties


def risk_summary_recompute(*, case_id: int) -> bool:
    """Bring a case's summary up to date; return whether anything was written.

    Idempotent: the inputs' hash decides whether there is work, and the
    summary row is locked while it is computed, so two workers on one case
    leave one correct row. Deleted cases are ignored.
    """
    with transaction.atomic():
        if not Case.objects.filter(pk=case_id).exists():
            return False
        summary, _ = RiskSummary.objects.get_or_create(case_id=case_id, defaults={"stale": True})
        summary = RiskSummary.objects.select_for_update().get(pk=summary.pk)
        version, rubric_version, party_scores, deal_scores, parties = _summary_inputs(case_id)
        criteria = [
            (c.key, c.family, str(c.weight), c.per_party)
            for c in (rubric_version.criteria.all() if rubric_version else [])
        ]
        inputs_hash = scoring.fingerprint(
            rubric_version and [rubric_version.pk, rubric_version.scale_min, rubric_version.scale_max],
            rubric_version and rubric_version.classification,
            criteria,
            version and version.pk,
            sorted((party, sorted(s.items())) for party, s in party_scores.items()),
            sorted(deal_scores.items()),
        )
        if summary.inputs_hash == inputs_hash and summary.computed_at is not None:
            if summary.stale:
                summary.stale = False
                summary.stale_since = None
                summary.save(update_fields=["stale", "stale_since"])
            return False

        result = (
            scoring.summarize(selectors.rubric_spec(rubric_version), party_scores, deal_scores)
            if rubric_version
            else None
        )
        summary.rubric_version = rubric_version
        summary.evaluation_version = version
        summary.risk_index = result.risk_index if result else None
        summary.risk_band = result.risk_band if result else ""
        summary.classification = (result.classification or "") if result else ""
        summary.missing_criteria = list(result.missing) if result else []
        summary.needs_reevaluation = bool(result and result.needs_reevaluation)
        summary.inputs_hash = inputs_hash
        summary.computed_at = timezone.now()
        summary.stale = False
        summary.stale_since = None
        summary.save()
        summary.party_figures.all().delete()
        PartyFigure.objects.bulk_create(
            [
                PartyFigure(
                    summary=summary,
                    party_id=figure.party,
                    organization_id=parties[figure.party],
                    leverage=figure.leverage,
                    workaround=figure.workaround,
                    dependency=figure.dependency,
                    classification=figure.classification,
                )
                for figure in (result.parties if result else ())
            ]
        )
    return True


def risk_summary_request(case_id: int) -> None:
    """Mark a case's summary stale and queue its recompute after commit."""
    from evaluations.tasks import risk_summary_recompute_task

    risk_summaries_mark_stale([case_id])
    enqueue_on_commit(risk_summary_recompute_task, case_id)


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


def risk_summaries_sweep(*, now: datetime | None = None, limit: int = 10_000) -> int:
    """Queue a recompute for every summary stale for longer than the grace period.

    This is what makes a lost message harmless: the stale flag is in the
    database, so a broker outage or a killed worker only delays the work.
    """
    from django.conf import settings

    from evaluations.queue import send
    from evaluations.tasks import risk_summary_recompute_task

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.STALE_GRACE_SECONDS)
    case_ids = list(
        RiskSummary.objects.filter(stale=True, stale_since__lte=cutoff)
        .order_by("stale_since")
        .values_list("case_id", flat=True)[:limit]
    )
    for case_id in case_ids:
        if not send(risk_summary_recompute_task, case_id):
            break  # broker down: the next sweep tries again
    return len(case_ids)


# --- Rubric versions ------------------------------------------------------


@transaction.atomic
def rubric_version_create(*, rubric: Rubric, data: dict, by: AbstractBaseUser | None) -> RubricVersion:
    """Create a draft version from data shaped like rubric_v1.json's
    ``version`` plus ``criteria``. Raises ValidationError on bad data."""
    version_data = data.get("version") or {}
    criteria_data = data.get("criteria") or []
    scale = version_data.get("scale") or {}
    number = version_data.get("number") or (
        (RubricVersion.objects.filter(rubric=rubric).aggregate(n=Max("number"))["n"] or 0) + 1
    )
    version = RubricVersion(
        rubric=rubric,
        number=number,
        status=RubricVersion.Status.DRAFT,
        changelog=version_data.get("changelog", ""),
        scale_min=scale.get("min", 0),
        scale_max=scale.get("max", 4),
        scale_labels=scale.get("labels", []),
        families=version_data.get("families", {}),
        classification=version_data.get("classification", {}),
        created_by=by,
    )
    criteria = [
        Criterion(
            version=version,
            key=item.get("key", ""),
            family=item.get("family", ""),
            weight=Decimal(str(item.get("weight", 1))),
            per_party=bool(item.get("per_party", True)),
            question=item.get("question", ""),
            guidance=item.get("guidance", ""),
            position=position,
        )
        for position, item in enumerate(criteria_data)
    ]
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
    case_ids = Case.objects.filter(evaluations__rubric_version__rubric_id=version.rubric_id).values_list(
        "pk", flat=True
    )
    risk_summaries_mark_stale(case_ids.distinct())
    enqueue_on_commit(risk_summaries_recompute_fanout_task, version.rubric_id)
    return version


def risk_summaries_fanout(*, rubric_id: int, after_case_id: int = 0) -> None:
    """Queue one batch of a rubric's stale summaries and a task for the rest.

    Batches are bounded (RECOMPUTE_BATCH_SIZE) so no message or transaction
    ever holds the whole archive; the chain walks case ids in order.
    """
    from django.conf import settings

    from evaluations.queue import send
    from evaluations.tasks import risk_summaries_recompute_batch_task, risk_summaries_recompute_fanout_task

    size = settings.RECOMPUTE_BATCH_SIZE
    case_ids = list(
        RiskSummary.objects.filter(
            stale=True, case_id__gt=after_case_id, case__evaluations__rubric_version__rubric_id=rubric_id
        )
        .order_by("case_id")
        .values_list("case_id", flat=True)
        .distinct()[:size]
    )
    if not case_ids:
        return
    send(risk_summaries_recompute_batch_task, case_ids)
    if len(case_ids) == size:
        send(risk_summaries_recompute_fanout_task, rubric_id, case_ids[-1])
