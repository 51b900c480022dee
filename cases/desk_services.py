"""Desk writes that combine case services: a case saved with organizations created inline.

The desk's party rows may name an organization that does not exist yet; it is
created in the same transaction as the case, so a refused case leaves no
stray organization behind.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from cases import services
from cases.facts import SOURCE_KEYS, case_facts
from cases.models import Case, Organization
from cases.web_selectors import organizations_matching
from core.errors import EditConflict
from evaluations.models import EvaluationVersion
from evaluations.services import workflow


@dataclass(frozen=True)
class PartyRow:
    """A party as the desk form gives it: an existing organization, or a new one by name and kind."""

    role: str
    note: str = ""
    organization_id: int | None = None
    new_organization_name: str = ""
    new_organization_kind: str = ""


@transaction.atomic
def case_save_with_parties(
    *, by: User, data: services.CaseInput, parties: list[PartyRow], case: Case | None = None, match_names: bool = False
) -> Case:
    """Create (``case`` None) or update a case, its parties given as rows; new organizations are created first.

    With ``match_names`` (the desk's case form), a typed name that an organization already goes by
    (its name or an alias) is that organization, not a new one; without it (the worksheet, where a
    new organization is confirmed explicitly) such a name is refused as existing.

    Errors of a new organization come back keyed ``parties[i].organization``.
    """
    data = replace(data, parties=_party_inputs(by, parties, match_names=match_names))
    if case is None:
        return services.case_create(by=by, data=data)
    return services.case_update(case=case, by=by, data=data)


def _party_inputs(by: User, parties: list[PartyRow], *, match_names: bool) -> tuple[services.PartyInput, ...]:
    inputs = []
    errors: dict[str, list[str]] = {}
    # A typed name that an organization already goes by (its name or an alias: "AWS") is that organization.
    typed = [row.new_organization_name for row in parties if row.organization_id is None] if match_names else []
    known = organizations_matching(typed)
    for index, row in enumerate(parties):
        organization_id = row.organization_id
        existing = known.get(row.new_organization_name) if organization_id is None else None
        if existing is not None:
            organization_id = existing.pk
        if organization_id is None:
            try:
                organization = services.organization_create(
                    by=by, name=row.new_organization_name, kind=row.new_organization_kind
                )
            except ValidationError as exc:
                for messages in exc.message_dict.values():
                    errors.setdefault(f"parties[{index}].organization", []).extend(messages)
                continue
            organization_id = organization.pk
        inputs.append(services.PartyInput(organization_id=organization_id, role=row.role, note=row.note))
    if errors:
        raise ValidationError(errors)
    return tuple(inputs)


def _json(value):
    return value.isoformat() if hasattr(value, "isoformat") else (str(value) if value is not None else None)


@transaction.atomic
def case_facts_save_in_draft(
    *, by: User, case: Case, data: services.CaseInput, parties: list[PartyRow], expected_lock: int | None
) -> EvaluationVersion:
    """The desk's case form on a published case: the facts go into the open draft (started if none),
    to be reviewed and published with it. ``expected_lock`` is the draft's lock as the form loaded it
    (None when no draft was open). New organizations are created first, as for a case."""
    draft = EvaluationVersion.objects.filter(case=case, state__in=EvaluationVersion.OPEN_STATES).first()
    if draft is None:
        draft = workflow.evaluation_version_start(case=case, by=by)
        expected_lock = draft.lock_version
    inputs = _party_inputs(by, parties, match_names=True)  # the desk's case form, as for a case never published
    slugs = dict(Organization.objects.filter(pk__in=[p.organization_id for p in inputs]).values_list("pk", "slug"))
    facts = {
        name: _json(getattr(data, name)) if name in ("announced_on", "capacity_mw") else getattr(data, name)
        for name in Case.FACT_FIELDS
    }
    facts.update(
        deal_types=list(data.deal_types),
        tags=list(data.tags),
        parties=[{"organization": slugs[p.organization_id], "role": p.role, "note": p.note} for p in inputs],
        sources=[
            {name: _json(getattr(s, name)) if name == "published_on" else getattr(s, name) for name in SOURCE_KEYS}
            for s in data.sources or ()
        ],
    )
    return workflow.evaluation_version_save(
        version=draft,
        by=by,
        expected_lock=expected_lock if expected_lock is not None else draft.lock_version,
        facts=facts,
    )


@transaction.atomic
def case_timeline_add_in_draft(*, by: User, case: Case, event: dict) -> EvaluationVersion:
    """A timeline event for a published case: added to the open draft's facts (started if none)."""
    draft = EvaluationVersion.objects.filter(case=case, state__in=EvaluationVersion.OPEN_STATES).first()
    if draft is None:
        draft = workflow.evaluation_version_start(case=case, by=by)
    held = draft.facts.get("timeline", [])
    item = {name: _json(value) if name == "occurred_on" else value for name, value in event.items()}
    return workflow.evaluation_version_save(
        version=draft, by=by, expected_lock=draft.lock_version, facts={"timeline": [*held, item]}
    )


def draft_timeline(case: Case) -> tuple[EvaluationVersion | None, list[dict]]:
    """A published case's timeline as its next publication would write it: the open version's
    facts (None and the case's own timeline when no version is open). Indexes in this list are
    what ``case_timeline_change_in_draft`` takes."""
    draft = EvaluationVersion.objects.filter(case=case, state__in=EvaluationVersion.OPEN_STATES).first()
    facts = draft.facts if draft is not None and draft.facts else case_facts(case)
    return draft, list(facts.get("timeline", []))


@transaction.atomic
def case_timeline_change_in_draft(
    *, by: User, case: Case, index: int, event: dict | None, expected_lock: int | None
) -> EvaluationVersion:
    """Edit (``event`` given) or delete (None) the ``index``-th event of a published case's timeline,
    in the open draft's facts (started if none): readers see the change once it is published.
    ``expected_lock`` is the draft's lock as the page loaded it (None when no draft was open)."""
    draft, held = draft_timeline(case)
    if draft is None:
        draft = workflow.evaluation_version_start(case=case, by=by)
        expected_lock = draft.lock_version
    elif expected_lock is None:  # loaded from the published timeline, but a draft was started since
        raise EditConflict(draft)
    if not 0 <= index < len(held):
        raise ValidationError({"timeline": ["that event is not in the timeline any more: reload the page"]})
    if event is None:
        del held[index]
    else:
        held[index] = {name: _json(value) if name == "occurred_on" else value for name, value in event.items()}
    return workflow.evaluation_version_save(
        version=draft,
        by=by,
        expected_lock=expected_lock,
        facts={"timeline": held},
    )
