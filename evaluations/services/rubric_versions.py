"""Rubric versions: create, edit a draft, clone, activate (which re-scores the archive)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cases import selectors as case_selectors
from cases.models import Case
from core.text import text_errors
from evaluations import crosswalk, policy, queue, rubric_impact, scoring, selectors
from evaluations.models import AuditEntry, Criterion, Rubric, RubricVersion
from evaluations.services.audit import audit_record
from evaluations.services.recompute import risk_summaries_mark_stale


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
    if "crosswalk" in version_data:
        version.crosswalk = version_data["crosswalk"] or {}


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
def rubric_version_create(*, rubric: Rubric, data: dict, by: User | None) -> RubricVersion:
    """Create a draft version from data shaped like rubric_v1.json's
    ``version`` plus ``criteria``. Raises ValidationError on bad data.
    ``by`` None is the system (the demo loader, a management command): no edge passes it."""
    if by is not None:
        policy.check(by, "rubric_version.create")
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
    audit_record(
        action=AuditEntry.Action.CREATE,
        actor=by,
        from_state="",
        to_state=RubricVersion.Status.DRAFT,
        rubric_version=version,
    )
    return version


def rubric_version_validate(version: RubricVersion, criteria: list[Criterion]) -> None:
    """Check that a version's data can drive the engine, field by field."""
    errors: dict[str, list[str]] = {}
    try:
        version.full_clean(exclude=["rubric", "created_by"], validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    errors.update(text_errors(version))
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
        errors.update(text_errors(criterion, prefix=f"criteria[{index}]."))
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
    if not errors:
        crosswalk_errors = rubric_version_crosswalk_errors(version, criteria)
        if crosswalk_errors:
            errors["crosswalk"] = crosswalk_errors
    if errors:
        raise ValidationError(errors)


def rubric_version_crosswalk_errors(version: RubricVersion, criteria: list[Criterion]) -> list[str]:
    """Why ``version``'s crosswalk cannot map its previous version onto ``criteria`` (empty: it can).

    It must map from an earlier, non-draft version of the same rubric (a draft maps from what
    readers have seen) and name only criteria of the two versions, each once."""
    number, entries, errors = crosswalk.parse(version.crosswalk)
    if errors or number is None:
        return errors
    previous = (
        RubricVersion.objects.filter(rubric_id=version.rubric_id, number=number)
        .exclude(status=RubricVersion.Status.DRAFT)
        .prefetch_related(selectors.criteria_prefetch())
        .first()
    )
    if previous is None or (version.number is not None and number >= version.number):
        return [f"'from' must be an earlier active or retired version of this rubric, not {number}"]
    return crosswalk.validate(
        entries,
        [crosswalk.CriterionInfo(c.key, c.per_party) for c in previous.criteria.all()],
        [crosswalk.CriterionInfo(c.key, c.per_party) for c in criteria],
    )


@transaction.atomic
def rubric_version_crosswalk_set(*, version: RubricVersion, by: User | None, data: dict) -> RubricVersion:
    """Set a draft's crosswalk (``{"from": number, "entries": [...]}``, evaluations.crosswalk;
    ``{}`` carries scores by key). Validated against both versions' criteria before anything is
    written; an active or retired version is refused (TransitionNotAllowed)."""
    return rubric_version_update_draft(version=version, by=by, data={"version": {"crosswalk": data}})


def rubric_version_activate(*, version: RubricVersion, by: User | None) -> RubricVersion:
    """Activate a draft version, retiring the active one, and re-score the archive.

    Every published case's summary is marked stale in this transaction; the
    recompute fans out on the workers after commit. The summaries carry the
    published scores through the version's crosswalk; what it could not carry is
    listed in the activation's audit entry (``rubric_version_activate_reporting``
    also hands it back).
    """
    return rubric_version_activate_reporting(version=version, by=by)[0]


@transaction.atomic
def rubric_version_activate_reporting(
    *, version: RubricVersion, by: User | None
) -> tuple[RubricVersion, rubric_impact.ActivationImpact]:
    """``rubric_version_activate``, returning also its impact as computed just before the switch
    (the figures the confirmation showed, and what the crosswalk could not carry)."""
    if by is not None:
        policy.check(by, "rubric_version.activate")
    version = RubricVersion.objects.select_for_update().get(pk=version.pk)
    policy.check_state("rubric_version.activate", version)
    rubric_version_validate(version, list(version.criteria.all()))
    impact = rubric_impact.activation_impact(version)
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
    case_selectors.archive_choices_forget()  # the filters offer the active version's risk bands
    audit_record(
        action=AuditEntry.Action.ACTIVATE,
        actor=by,
        from_state=RubricVersion.Status.DRAFT,
        to_state=RubricVersion.Status.ACTIVE,
        comment=impact.as_text(),
        rubric_version=version,
        at=now,
    )
    # A subquery, not a list: the archive may hold 100,000 cases.
    risk_summaries_mark_stale(
        Case.objects.filter(evaluations__rubric_version__rubric_id=version.rubric_id).values("pk").distinct()
    )
    queue.enqueue_on_commit(queue.RISK_SUMMARIES_FANOUT, version.rubric_id)
    return version, impact


@transaction.atomic
def rubric_version_clone(*, version: RubricVersion, by: User | None) -> RubricVersion:
    """Start a new draft version of a rubric as a copy of ``version`` (usually the active one).

    The copy gets the next number, the same scale, families, thresholds and
    criteria (same keys, so scores carry over), and an empty changelog to write.
    """
    if by is not None:
        policy.check(by, "rubric_version.clone")
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
        # Maps from the version it copies; no entries yet: every criterion keeps its key.
        crosswalk={"from": source.number, "entries": []} if source.status != RubricVersion.Status.DRAFT else {},
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
    policy.check_state("rubric_version.edit", current)
    return current


@transaction.atomic
def rubric_version_update_draft(*, version: RubricVersion, by: User | None, data: dict) -> RubricVersion:
    """Edit a draft from data shaped like rubric_version_create's: the
    ``version`` fields given change, the others keep their value; ``criteria``,
    when given, replaces the draft's whole list. The result is validated as a
    new version is, before anything is written; an active or retired version
    is refused (TransitionNotAllowed)."""
    if by is not None:
        policy.check(by, "rubric_version.edit")
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
    rubric_version_edit_record(version=current, by=by, what=sorted(version_data) + (["criteria"] if replace else []))
    return current


def rubric_version_edit_record(*, version: RubricVersion, by: User | None, what: Iterable[str]) -> None:
    """Audit an edit of a draft rubric version (the API's, or the admin's change form): who, when, which fields.

    Called in the editing transaction, after the edit is validated and written."""
    fields = ", ".join(name.replace("_", " ") for name in what) or "nothing changed"
    audit_record(
        action=AuditEntry.Action.EDIT,
        actor=by,
        from_state=version.status,
        to_state=version.status,
        comment=f"edited: {fields}",
        rubric_version=version,
    )
