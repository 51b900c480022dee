"""A case's facts as one object: what an evaluation version carries and its publication applies.

The shape is the API's case detail (``GET /api/v1/cases/{slug}/``): the case's own fields,
``deal_types`` (slugs), ``tags`` (names), ``parties`` (organization slug, role, note),
``sources`` and ``timeline``. ``case_facts`` reads it from the case's rows; ``facts_input``
parses one (from a version, the API or the desk) into what ``cases.services`` writes, with
errors keyed by field (``parties[1].organization``). Pure parsing: the rules a case must
satisfy are checked by the services, the same ones for every path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from cases.models import Case, DatePrecision, Organization, OrganizationRedirect

# The lists a version's facts hold besides the case's own fields; a list given replaces the list held.
FACT_LISTS = ("deal_types", "tags", "parties", "sources", "timeline")
FACT_KEYS = (*Case.FACT_FIELDS, *FACT_LISTS)
SOURCE_KEYS = ("publisher", "title", "url", "published_on", "published_precision", "claim")
TIMELINE_KEYS = ("kind", "occurred_on", "precision", "note")
SLUG = re.compile(r"[-a-zA-Z0-9_]+")


@dataclass(frozen=True)
class TimelineInput:
    kind: str
    occurred_on: date
    precision: str = DatePrecision.DAY
    note: str = ""


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")  # never "1E+2"
    return value


def case_facts(case: Case) -> dict[str, Any]:
    """The case's facts as its rows hold them now, JSON-ready."""
    facts: dict[str, Any] = {name: _json(getattr(case, name)) for name in Case.FACT_FIELDS}
    facts["deal_types"] = [d.slug for d in case.deal_types.order_by("name")]
    facts["tags"] = [t.name for t in case.tags.order_by("name")]
    facts["parties"] = [
        {"organization": p.organization.slug, "organization_name": p.organization.name, "role": p.role, "note": p.note}
        for p in case.parties.select_related("organization").order_by("position", "id")
    ]
    facts["sources"] = [
        {"id": s.pk, **{name: _json(getattr(s, name)) for name in SOURCE_KEYS}}
        for s in case.sources.order_by("position", "id")
    ]
    facts["timeline"] = [
        {name: _json(getattr(e, name)) for name in TIMELINE_KEYS} for e in case.timeline.order_by("occurred_on", "id")
    ]
    return facts


def facts_merge(held: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """``given`` over ``held``: fields left out keep their value, a list given replaces the list held.
    Unknown keys are an error (a 200 that changed nothing would be a lie)."""
    if not isinstance(given, dict):
        raise ValidationError({"facts": ["facts must be an object with the case's fields"]})
    unknown = sorted(set(given) - set(FACT_KEYS) - {"slug"})
    if unknown:
        raise ValidationError({f"facts.{name}": ["not a fact of a case"] for name in unknown})
    if "slug" in given:
        raise ValidationError({"facts.slug": ["a published case keeps its address; the slug is not a fact"]})
    return {**held, **given}


class _Errors(dict):
    def add(self, key: str, message: str) -> None:
        self.setdefault(key, []).append(message)


def _text(errors: _Errors, key: str, value: Any, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        errors.add(key, "must be text")
        return ""
    return value


def _date(errors: _Errors, key: str, value: Any, *, required: bool) -> date | None:
    if value is None or value == "":
        if required:
            errors.add(key, "this field is required")
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        pass
    errors.add(key, "a date as YYYY-MM-DD")
    return None


def _integer(errors: _Errors, key: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(key, "a whole number, or null")
        return None
    if not 0 <= value <= 2**63 - 1:
        errors.add(key, "must be between 0 and 9223372036854775807")
        return None
    return value


def _decimal(errors: _Errors, key: str, value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        errors.add(key, "a number, or null")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors.add(key, "a number, or null")
        return None
    if not number.is_finite():
        errors.add(key, "a number, or null")
        return None
    return number


def _items(errors: _Errors, key: str, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        errors.add(key, "a list of objects")
        return []
    return value


def _strings(errors: _Errors, key: str, value: Any, *, slugs: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors.add(key, "a list of strings")
        return ()
    if slugs and not all(_is_slug(item) for item in value):
        errors.add(key, "a list of slugs (letters, digits, hyphens, underscores)")
        return ()
    return tuple(value)


def _is_slug(value: Any) -> bool:
    # Checked before any query: a refused character (a NUL) must not reach the database.
    return isinstance(value, str) and 0 < len(value) <= 200 and bool(SLUG.fullmatch(value))


@dataclass(frozen=True)
class ParsedFacts:
    """Facts parsed into Python values; ``cases.services.case_facts_input`` makes its CaseInput."""

    fields: dict[str, Any]
    parties: tuple[dict[str, Any], ...]  # organization_id, role, note
    sources: tuple[dict[str, Any], ...]  # SOURCE_KEYS
    timeline: tuple[TimelineInput, ...]


def facts_parse(facts: dict[str, Any]) -> ParsedFacts:
    """Parse whole facts into Python values; ValidationError (keyed by field) if malformed."""
    errors = _Errors()
    missing = [name for name in FACT_KEYS if name not in facts]
    for name in missing:
        errors.add(f"facts.{name}", "missing")
    if missing:
        raise ValidationError(dict(errors))
    fields: dict[str, Any] = {
        "title": _text(errors, "title", facts["title"], required=True),
        "summary": _text(errors, "summary", facts["summary"], required=True),
        "announced_on": _date(errors, "announced_on", facts["announced_on"], required=True),
        "announced_precision": _text(errors, "announced_precision", facts["announced_precision"]) or DatePrecision.DAY,
        "value_low_usd": _integer(errors, "value_low_usd", facts["value_low_usd"]),
        "value_high_usd": _integer(errors, "value_high_usd", facts["value_high_usd"]),
        "value_note": _text(errors, "value_note", facts["value_note"]),
        "capacity_mw": _decimal(errors, "capacity_mw", facts["capacity_mw"]),
        "capacity_chips": _integer(errors, "capacity_chips", facts["capacity_chips"]),
        "capacity_note": _text(errors, "capacity_note", facts["capacity_note"]),
        "deal_types": _strings(errors, "deal_types", facts["deal_types"], slugs=True),
        "tags": _strings(errors, "tags", facts["tags"]),
    }
    party_items = _items(errors, "parties", facts["parties"])
    slugs = [item.get("organization") for item in party_items]
    wanted = [s for s in slugs if _is_slug(s)]
    # A slug given up by a merge or a rename still names its organization: a draft written
    # before the change publishes as written.
    ids = dict(OrganizationRedirect.objects.filter(old_slug__in=wanted).values_list("old_slug", "organization_id"))
    ids.update(Organization.objects.filter(slug__in=wanted).values_list("slug", "pk"))
    parties = []
    for index, item in enumerate(party_items):
        slug = item.get("organization")
        if not isinstance(slug, str) or slug not in ids:
            errors.add(f"parties[{index}].organization", f"no organization with slug {slug!r}")
            continue
        parties.append(
            {
                "organization_id": ids[slug],
                "role": _text(errors, f"parties[{index}].role", item.get("role"), required=True),
                "note": _text(errors, f"parties[{index}].note", item.get("note")),
            }
        )
    sources = []
    for index, item in enumerate(_items(errors, "sources", facts["sources"])):
        key = f"sources[{index}]."
        sources.append(
            {
                "publisher": _text(errors, key + "publisher", item.get("publisher"), required=True),
                "title": _text(errors, key + "title", item.get("title"), required=True),
                "url": _text(errors, key + "url", item.get("url"), required=True),
                "published_on": _date(errors, key + "published_on", item.get("published_on"), required=False),
                "published_precision": _text(errors, key + "published_precision", item.get("published_precision"))
                or DatePrecision.DAY,
                "claim": _text(errors, key + "claim", item.get("claim")),
            }
        )
    timeline = []
    for index, item in enumerate(_items(errors, "timeline", facts["timeline"])):
        key = f"timeline[{index}]."
        occurred_on = _date(errors, key + "occurred_on", item.get("occurred_on"), required=True)
        timeline.append(
            TimelineInput(
                kind=_text(errors, key + "kind", item.get("kind"), required=True),
                occurred_on=occurred_on or date.min,
                precision=_text(errors, key + "precision", item.get("precision")) or DatePrecision.DAY,
                note=_text(errors, key + "note", item.get("note")),
            )
        )
    if errors:
        raise ValidationError(dict(errors))
    return ParsedFacts(fields=fields, parties=tuple(parties), sources=tuple(sources), timeline=tuple(timeline))


def facts_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The facts that differ between two versions, in the order of ``FACT_KEYS``:
    ``[{field, before, after}]``. A version that carries no facts compares as unknown (skipped)."""
    if not before or not after:
        return []
    changes = []
    for name in FACT_KEYS:
        old, new = _comparable(name, before.get(name)), _comparable(name, after.get(name))
        if old != new:
            changes.append({"field": name, "before": before.get(name), "after": after.get(name)})
    return changes


def _comparable(name: str, value: Any) -> Any:
    # A source's id is where it is stored, not what it says; an organization's name is shown beside its slug.
    if name == "sources" and isinstance(value, list):
        return [{k: v for k, v in item.items() if k != "id"} for item in value if isinstance(item, dict)]
    if name == "parties" and isinstance(value, list):
        return [{k: v for k, v in item.items() if k != "organization_name"} for item in value if isinstance(item, dict)]
    return value
