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
from cases.models import Case
from cases.web_selectors import organizations_matching


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
    data = replace(data, parties=tuple(inputs))
    if case is None:
        return services.case_create(by=by, data=data)
    return services.case_update(case=case, by=by, data=data)
