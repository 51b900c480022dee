"""Writes for the case library. The desk's forms and the API both call these."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from cases import selectors
from cases.facts import ParsedFacts, TimelineInput, facts_parse
from cases.models import (
    Case,
    DatePrecision,
    DealType,
    Organization,
    OrganizationRedirect,
    Party,
    Source,
    Tag,
    TimelineEvent,
)
from cases.search import search_document_refresh
from core.text import text_errors, text_input_normalize, text_normalize, text_problems
from evaluations import policy
from evaluations.models import EvaluationVersion, Score
from evaluations.services.exposures import organization_exposure_request
from evaluations.services.recompute import risk_summary_request


def unique_slug(model, text: str, *, exclude_pk: int | None = None, max_length: int = 200) -> str:
    """A slug from ``text`` that no other row of ``model`` has (``-2``, ``-3``... appended)."""
    base = slugify(text)[: max_length - 6] or "item"
    slug, n = base, 1
    taken = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects.all()
    while taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _clean(instance, *, exclude: Iterable[str] = ()) -> None:
    errors = text_errors(instance)
    try:
        # A field the text rule refused is not checked further: its unique check would query with it.
        instance.full_clean(exclude=[*exclude, *errors])
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class PartyInput:
    organization_id: int
    role: str
    note: str = ""


@dataclass(frozen=True)
class SourceInput:
    publisher: str
    title: str
    url: str
    published_on: date | None = None
    published_precision: str = DatePrecision.DAY
    claim: str = ""


@dataclass(frozen=True)
class CaseInput:
    title: str
    summary: str
    announced_on: date
    announced_precision: str = DatePrecision.DAY
    slug: str = ""
    deal_types: tuple[str, ...] = ()  # DealType slugs
    tags: tuple[str, ...] = ()  # tag names; new ones are created
    value_low_usd: int | None = None
    value_high_usd: int | None = None
    value_note: str = ""
    capacity_mw: Decimal | None = None
    capacity_chips: int | None = None
    capacity_note: str = ""
    parties: tuple[PartyInput, ...] | None = None  # None: leave as they are
    sources: tuple[SourceInput, ...] | None = None


@transaction.atomic
def organization_create(*, by: User, name: str, kind: str, description: str = "", slug: str = "") -> Organization:
    policy.check(by, "organization.create")
    organization = Organization(name=name.strip(), kind=kind, description=description, slug=slug)
    # The text rule first: a refused character (a NUL) must not reach the queries below.
    errors = text_errors(organization)
    if errors:
        raise ValidationError(errors)
    if Organization.objects.filter(name__iexact=organization.name).exists():
        raise ValidationError({"name": [f"an organization called {organization.name!r} already exists"]})
    organization.slug = slug or unique_slug(Organization, organization.name)
    _clean(organization)
    organization.save()
    return organization


@transaction.atomic
def organization_update(*, organization: Organization, by: User, **fields) -> Organization:
    policy.check(by, "organization.edit")
    renamed = any(name in fields and fields[name] != getattr(organization, name) for name in ("name", "slug"))
    old_slug = organization.slug
    for name in ("name", "kind", "description", "slug"):
        if name in fields:
            setattr(organization, name, fields[name])
    _clean(organization)
    organization.save()
    if organization.slug != old_slug:
        # The old address keeps working (links, bookmarks, drafts' facts naming it), as after a merge.
        OrganizationRedirect.objects.filter(old_slug=organization.slug).delete()
        OrganizationRedirect.objects.update_or_create(old_slug=old_slug, defaults={"organization": organization})
    # Its cases' pages and archive rows show its name (their caches key on the case's updated_at).
    Case.objects.filter(pk__in=Party.objects.filter(organization=organization).values("case_id")).update(
        updated_at=timezone.now()
    )
    selectors.archive_choices_forget()  # the filter form lists organizations by name
    if renamed:
        _counterparties_changed(organization)
    return organization


def _counterparties_changed(organization: Organization) -> None:
    """Its counterparties' stored exposures name it and link to its slug: recompute them after commit."""
    shared = Party.objects.filter(organization=organization, case__status=Case.Status.PUBLISHED).values("case_id")
    organization_exposure_request(
        Party.objects.filter(case_id__in=shared).values_list("organization_id", flat=True).distinct()
    )


def _apply_case_fields(case: Case, data: CaseInput) -> None:
    for name in Case.FACT_FIELDS:
        setattr(case, name, getattr(data, name))
    if data.slug:
        case.slug = data.slug


def _validate_case(case: Case, data: CaseInput) -> tuple[list[DealType], list[str]]:
    errors: dict[str, list[str]] = {}
    try:
        case.full_clean(exclude=["status", "first_published_at"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    errors.update(text_errors(case))
    if case.value_low_usd is not None and case.value_high_usd is not None and case.value_low_usd > case.value_high_usd:
        errors.setdefault("value_high_usd", []).append("the high end of the range is below the low end")
    deal_types = list(DealType.objects.filter(slug__in=data.deal_types))
    unknown = set(data.deal_types) - {d.slug for d in deal_types}
    if unknown:
        errors.setdefault("deal_types", []).append(f"unknown deal types: {', '.join(sorted(unknown))}")
    tags = [text_normalize(t).strip() for t in data.tags if t.strip()]
    if any(len(t) > 100 for t in tags):
        errors.setdefault("tags", []).append("a tag is at most 100 characters")
    tag_problems = [problem for t in tags for problem in text_problems(t)]
    if tag_problems:
        errors.setdefault("tags", []).append(tag_problems[0])
    if data.parties is not None:
        _validate_parties(data.parties, errors)
    if data.sources is not None:
        for index, source in enumerate(data.sources):
            row = Source(case=case, **source.__dict__)
            try:
                row.full_clean(exclude=["case"])
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    errors.setdefault(f"sources[{index}].{name}", []).extend(messages)
            errors.update(text_errors(row, prefix=f"sources[{index}]."))
    if errors:
        raise ValidationError(errors)
    return deal_types, tags


def _validate_parties(parties: Iterable[PartyInput], errors: dict[str, list[str]]) -> None:
    roles = set(Party.Role.values)
    seen = set()
    known = set(Organization.objects.filter(pk__in=[p.organization_id for p in parties]).values_list("pk", flat=True))
    for index, party in enumerate(parties):
        if party.organization_id not in known:
            errors.setdefault(f"parties[{index}].organization", []).append("no such organization")
        if party.role not in roles:
            errors.setdefault(f"parties[{index}].role", []).append(f"role must be one of {', '.join(sorted(roles))}")
        errors.update(text_errors(Party(note=party.note), prefix=f"parties[{index}]."))
        # One organization may hold several roles in a deal (investor and customer), each its own
        # party row (scored on its own); the same organization twice in the same role is one party.
        if (party.organization_id, party.role) in seen:
            errors.setdefault(f"parties[{index}].organization", []).append(
                "this organization is already a party in this role"
            )
        seen.add((party.organization_id, party.role))


def _set_relations(case: Case, data: CaseInput, deal_types: list[DealType], tags: list[str]) -> None:
    case.deal_types.set(deal_types)
    case.tags.set(
        [
            Tag.objects.filter(name__iexact=name).first()
            or Tag.objects.create(name=name, slug=unique_slug(Tag, name, max_length=100))
            for name in tags
        ]
    )
    if data.parties is not None:
        parties_replace(case, data.parties)
    if data.sources is not None:
        kept = {(s.url, s.title): s for s in case.sources.all()}
        wanted = []
        for position, item in enumerate(data.sources):
            source = kept.pop((item.url, item.title), None) or Source(case=case)
            for name, value in item.__dict__.items():
                setattr(source, name, value)
            source.position = position
            source.save()
            wanted.append(source.pk)
        _sources_delete(case.sources.exclude(pk__in=wanted))


def parties_match(existing: Iterable[Party], wanted: Iterable[tuple[int, str]]) -> list[Party | None]:
    """Which existing party row each wanted (organization id, role) keeps, None for a new row:
    the same organization in the same role first, then (a role changed) a row of the same
    organization that no other wanted party keeps. Each row is kept at most once, so an
    organization's rows (and their scores) stay with its roles. The one rule for the case's
    edit, a version's facts and their publication."""
    wanted = list(wanted)
    free = list(existing)
    matched: list[Party | None] = [None] * len(wanted)
    for index, (organization_id, role) in enumerate(wanted):
        row = next((p for p in free if p.organization_id == organization_id and p.role == role), None)
        if row is not None:
            matched[index] = row
            free.remove(row)
    for index, (organization_id, _role) in enumerate(wanted):
        if matched[index] is None:
            row = next((p for p in free if p.organization_id == organization_id), None)
            if row is not None:
                matched[index] = row
                free.remove(row)
    return matched


def parties_replace(case: Case, parties: Iterable[PartyInput]) -> None:
    """Make the case's parties exactly these, keeping rows (and their scores) that stay (``parties_match``)."""
    parties = list(parties)
    matched = parties_match(case.parties.all(), [(p.organization_id, p.role) for p in parties])
    keep = []
    # The rows that go are deleted first: a new row may take the (organization, role) one of them held.
    _parties_delete(case.parties.exclude(pk__in=[p.pk for p in matched if p is not None]))
    for position, (item, existing) in enumerate(zip(parties, matched, strict=True)):
        party = existing or Party(case=case, organization_id=item.organization_id)
        party.role, party.note, party.position = item.role, item.note, position
        party.save()
        keep.append(party.pk)
    _parties_delete(case.parties.exclude(pk__in=keep))


def _parties_changed(case: Case, organization_ids: Iterable[int]) -> None:
    """A published case's parties or deal types changed: its summary, and the exposure of
    every organization that was or is a party, are owed a recompute (queued after commit)."""
    if not case.is_published:
        return
    risk_summary_request(case.pk)
    # The other parties' exposures name this one (as a supplier, a counterparty) too.
    organization_exposure_request({*organization_ids, *case.parties.values_list("organization_id", flat=True)})


def _parties_on_record(parties) -> bool:
    return Score.objects.filter(party__in=parties, version__state__in=EvaluationVersion.FROZEN_STATES).exists()


def _parties_delete(parties) -> None:
    """Delete parties, with their scores in unpublished drafts; refuse if published work scores them."""
    scores = Score.objects.filter(party__in=parties)
    if _parties_on_record(parties):
        raise ValidationError({"parties": ["a party scored in a published analysis stays on the record"]})
    scores.delete()
    parties.delete()


@transaction.atomic
def case_create(*, by: User, data: CaseInput) -> Case:
    """Create a case as a draft; it is published with its first evaluation."""
    policy.check(by, "case.create")
    data = text_input_normalize(data)
    case = Case()
    _apply_case_fields(case, data)
    if not case.slug:
        case.slug = unique_slug(Case, data.title)
    deal_types, tags = _validate_case(case, data)
    case.save()
    _set_relations(case, data, deal_types, tags)
    TimelineEvent.objects.create(
        case=case, kind=TimelineEvent.Kind.ANNOUNCED, occurred_on=case.announced_on, precision=case.announced_precision
    )
    return case


@transaction.atomic
def case_update(*, case: Case, by: User, data: CaseInput) -> Case:
    """Edit a case that was never published. Once it has a published analysis its facts change
    only through an evaluation version (the policy refuses here, naming the way)."""
    policy.check(by, "case.edit", case)
    return case_facts_apply(case=case, data=data)


def case_facts_apply(*, case: Case, data: CaseInput, timeline: Iterable[TimelineInput] | None = None) -> Case:
    """Write a case's facts: the one function behind a never-published case's edit and a
    version's publication (which checks its own rules). ``timeline`` None keeps the timeline."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    data = text_input_normalize(data)
    organizations_before = set(case.parties.values_list("organization_id", flat=True))
    _apply_case_fields(case, data)
    deal_types, tags = _validate_case(case, data)
    events = _validated_timeline(case, timeline) if timeline is not None else None
    case.save()
    _set_relations(case, data, deal_types, tags)
    if events is not None:
        case.timeline.all().delete()
        TimelineEvent.objects.bulk_create(events)
    search_document_refresh(case.pk)
    _parties_changed(case, organizations_before | set(case.parties.values_list("organization_id", flat=True)))
    selectors.archive_choices_forget()  # its tags may have changed
    return case


def _validated_timeline(case: Case, timeline: Iterable[TimelineInput]) -> list[TimelineEvent]:
    events, errors = [], {}
    for index, item in enumerate(timeline):
        event = TimelineEvent(case=case, **text_input_normalize(item).__dict__)
        try:
            _clean(event, exclude=["case"])
        except ValidationError as exc:
            errors.update({f"timeline[{index}].{name}": messages for name, messages in exc.message_dict.items()})
        events.append(event)
    if errors:
        raise ValidationError(errors)
    return events


def case_facts_input(parsed: ParsedFacts) -> tuple[CaseInput, tuple[TimelineInput, ...]]:
    data = CaseInput(
        **parsed.fields,
        parties=tuple(PartyInput(**party) for party in parsed.parties),
        sources=tuple(SourceInput(**source) for source in parsed.sources),
    )
    return data, parsed.timeline


def case_facts_validate(*, case: Case, facts: dict) -> dict:
    """Check a version's facts by the rules a case's edit follows, and what a published case
    must keep (parties scored and sources cited by published analyses stay on the record).
    Returns the facts as stored: normalized, organization names filled in. Writes nothing."""
    data, timeline = case_facts_input(facts_parse(facts))
    data = text_input_normalize(data)
    draft = Case.objects.get(pk=case.pk)  # a copy to check against, never saved
    _apply_case_fields(draft, data)
    errors: dict[str, list[str]] = {}
    try:
        _validate_case(draft, data)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        _validated_timeline(draft, timeline)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    kept = {party.organization_id for party in data.parties or ()}
    kept_rows = parties_match(case.parties.all(), [(p.organization_id, p.role) for p in data.parties or ()])
    if _parties_on_record(case.parties.exclude(pk__in=[p.pk for p in kept_rows if p is not None])):
        errors.setdefault("parties", []).append("a party scored in a published analysis stays on the record")
    kept_sources = {(s.url, s.title) for s in data.sources or ()}
    dropped = [s.pk for s in case.sources.all() if (s.url, s.title) not in kept_sources]
    if sources_on_record(Source.objects.filter(pk__in=dropped)):
        errors.setdefault("sources", []).append("a source cited by a published analysis stays on the record")
    if errors:
        raise ValidationError(errors)
    names = dict(Organization.objects.filter(pk__in=kept).values_list("pk", "name"))
    slugs = dict(Organization.objects.filter(pk__in=kept).values_list("pk", "slug"))
    stored = {name: facts[name] for name in Case.FACT_FIELDS}
    stored.update(
        {name: _stored(getattr(data, name)) for name in Case.FACT_FIELDS},
        deal_types=list(dict.fromkeys(data.deal_types)),
        tags=[text_normalize(t).strip() for t in data.tags if t.strip()],
        parties=[
            {
                "organization": slugs[p.organization_id],
                "organization_name": names[p.organization_id],
                "role": p.role,
                "note": p.note,
            }
            for p in data.parties or ()
        ],
        sources=[
            {name: _stored(getattr(s, name)) for name in SourceInput.__dataclass_fields__} for s in data.sources or ()
        ],
        timeline=[{name: _stored(getattr(e, name)) for name in TimelineInput.__dataclass_fields__} for e in timeline],
    )
    return stored


def _stored(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")  # never "1E+2"
    return value


def _touch(case_id: int) -> None:
    """Mark the case changed (its page's ETag reads ``updated_at``) when a row under it changes."""
    Case.objects.filter(pk=case_id).update(updated_at=timezone.now())
    selectors.archive_choices_forget()


@transaction.atomic
def source_add(*, case: Case, by: User, data: SourceInput) -> Source:
    policy.check(by, "source.add", case)
    source = Source(case=case, position=case.sources.count(), **data.__dict__)
    _clean(source)
    source.save()
    _touch(source.case_id)
    search_document_refresh(source.case_id)
    return source


@transaction.atomic
def source_update(*, source: Source, by: User, data: SourceInput) -> Source:
    policy.check(by, "source.edit", source.case)
    for name, value in data.__dict__.items():
        setattr(source, name, value)
    _clean(source)
    source.save()
    _touch(source.case_id)
    search_document_refresh(source.case_id)
    return source


@transaction.atomic
def source_delete(*, source: Source, by: User) -> None:
    policy.check(by, "source.delete", source.case)
    case_id = source.case_id
    _sources_delete(Source.objects.filter(pk=source.pk))
    _touch(case_id)
    search_document_refresh(case_id)


def sources_on_record(sources) -> bool:
    """Whether a published analysis cites any of these sources (then they stay: the database refuses too)."""
    return Score.objects.filter(sources__in=sources, version__state__in=EvaluationVersion.FROZEN_STATES).exists()


def _sources_delete(sources) -> None:
    if sources_on_record(sources):
        raise ValidationError({"sources": ["a source cited by a published analysis stays on the record"]})
    sources.delete()


def case_on_record(case: Case) -> bool:
    """Whether a case has any evaluation history; its versions and audit trail cannot be deleted."""
    return case.evaluation_versions.exists()


@transaction.atomic
def case_delete(*, case: Case, by: User) -> None:
    """Delete a case that has no evaluation history (the admin's one write to cases)."""
    policy.check(by, "case.delete", case)
    if case_on_record(case):
        raise ValidationError("a case with evaluation versions stays on the record")
    case.delete()
    selectors.archive_choices_forget()


@transaction.atomic
def party_add(*, case: Case, by: User, data: PartyInput) -> Party:
    policy.check(by, "party.add", case)
    data = text_input_normalize(data)
    errors: dict[str, list[str]] = {}
    _validate_parties([data], errors)
    if case.parties.filter(organization_id=data.organization_id, role=data.role).exists():
        errors.setdefault("organization", []).append("this organization is already a party in this role")
    if errors:
        raise ValidationError(errors)
    party = Party.objects.create(case=case, position=case.parties.count(), **data.__dict__)
    _parties_changed(case, [party.organization_id])
    _touch(case.pk)
    return party


@transaction.atomic
def party_remove(*, party: Party, by: User) -> None:
    """Remove a party. Refused while a published analysis scores it."""
    policy.check(by, "party.remove", party.case)
    _parties_delete(Party.objects.filter(pk=party.pk))
    _parties_changed(party.case, [party.organization_id])
    _touch(party.case_id)


@transaction.atomic
def timeline_event_add(
    *,
    case: Case,
    by: User,
    kind: str,
    occurred_on: date,
    precision: str = DatePrecision.DAY,
    note: str = "",
) -> TimelineEvent:
    policy.check(by, "timeline_event.add", case)
    event = TimelineEvent(case=case, kind=kind, occurred_on=occurred_on, precision=precision, note=note)
    _clean(event)
    event.save()
    _touch(case.pk)
    return event


@transaction.atomic
def timeline_event_update(
    *, event: TimelineEvent, by: User, kind: str, occurred_on: date, precision: str = DatePrecision.DAY, note: str = ""
) -> TimelineEvent:
    """Correct a timeline event of a case never published (a published case's timeline changes
    only through a version's facts: ``cases.desk_services.case_timeline_change_in_draft``)."""
    policy.check(by, "timeline_event.edit", event.case)
    event.kind, event.occurred_on, event.precision, event.note = kind, occurred_on, precision, note
    _clean(event)
    event.save()
    _touch(event.case_id)
    return event


@transaction.atomic
def timeline_event_delete(*, event: TimelineEvent, by: User) -> None:
    """Remove a timeline event of a case never published."""
    policy.check(by, "timeline_event.delete", event.case)
    event.delete()
    _touch(event.case_id)
