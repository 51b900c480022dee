"""Organizations over time: relationships, aliases, merging two records of one company.

Writes (``relationship_*``, ``alias_*``, ``organization_merge``) check the
role, change state atomically, record an audit entry and queue the
independent-paths recompute after commit. Reads (``relationships_public``,
``control_groups_public``, ``organizations_matching``) give readers published
relationships only.

The published-only rule: a relationship reaches a reader (pages, graph,
independent-paths figures, API) only while ``is_published`` is set. The
organizations it names are shown by name; their pages stay subject to the
usual rule (an organization is public once it is a party to a published case).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.models import (
    Case,
    DatePrecision,
    Organization,
    OrganizationAlias,
    OrganizationRedirect,
    OrganizationRelationship,
    Party,
    normalize_organization_name,
)
from cases.services import _clean
from cases.web_selectors import control_groups_public, organizations_matching
from evaluations import policy
from evaluations.models import OrganizationExposure, PartyFigure
from evaluations.services.audit import audit_record
from evaluations.services.exposures import organization_exposure_request

# --- Writes ---------------------------------------------------------------------


@dataclass(frozen=True)
class RelationshipInput:
    subject_id: int
    parent_id: int
    kind: str
    started_on: date
    source_publisher: str
    source_title: str
    source_url: str
    started_precision: str = DatePrecision.DAY
    ended_on: date | None = None
    note: str = ""
    is_published: bool = False


def _audit(*, action: str, by: User | None, from_state: str, to_state: str, comment: str, subject: str):
    return audit_record(
        action=action, actor=by, from_state=from_state[:16], to_state=to_state[:16], comment=comment, subject=subject
    )


def _paths_request(organization_ids: Iterable[int]) -> None:
    """The organizations whose independent paths read these organizations' groups: their counterparties."""
    organization_ids = set(organization_ids)
    affected = set(
        Party.objects.filter(
            case__status=Case.Status.PUBLISHED,
            case_id__in=Party.objects.filter(organization_id__in=organization_ids).values("case_id"),
        ).values_list("organization_id", flat=True)
    )
    if affected:
        organization_exposure_request(affected)


def _group_ids(organization_ids: Iterable[int]) -> set[int]:
    """The organizations in the same published control groups as these (any date)."""
    ids = set(organization_ids)
    groups = control_groups_public()
    tops = {groups[i].organization_id for i in ids if i in groups}
    return ids | {i for i, group in groups.items() if group.organization_id in tops}


def _relationship_describe(relationship: OrganizationRelationship) -> str:
    published = "published" if relationship.is_published else "unpublished"
    return (
        f"{relationship.subject.name} {relationship.get_kind_display()} {relationship.parent.name}"
        f" from {relationship.started_on}{f' to {relationship.ended_on}' if relationship.ended_on else ''}"
        f" ({published}); source: {relationship.source_publisher}, {relationship.source_url}"
    )


@transaction.atomic
def relationship_save(
    *, by: User | None, data: RelationshipInput, relationship: OrganizationRelationship | None = None
) -> OrganizationRelationship:
    """Create a relationship, or change one; audited; independent paths recomputed after commit."""
    policy.check(by, "relationship.edit")
    before_ids = {relationship.subject_id, relationship.parent_id} if relationship else set()
    before = _group_ids(before_ids) if before_ids else set()
    was = "published" if relationship and relationship.is_published else ("unpublished" if relationship else "")
    relationship = relationship or OrganizationRelationship()
    for name, value in data.__dict__.items():
        setattr(relationship, name, value)
    if relationship.subject_id == relationship.parent_id:
        raise ValidationError({"parent_id": ["An organization cannot be related to itself."]})
    _clean(relationship, exclude=["subject", "parent"])
    relationship.save()
    relationship = OrganizationRelationship.objects.select_related("subject", "parent").get(pk=relationship.pk)
    _audit(
        action="relationship",
        by=by,
        from_state=was,
        to_state="published" if relationship.is_published else "unpublished",
        comment=_relationship_describe(relationship),
        subject=f"organization:{relationship.subject.slug}",
    )
    _paths_request(before | _group_ids({relationship.subject_id, relationship.parent_id}))
    return relationship


@transaction.atomic
def relationship_delete(*, by: User | None, relationship: OrganizationRelationship) -> None:
    policy.check(by, "relationship.edit")
    affected = _group_ids({relationship.subject_id, relationship.parent_id})
    _audit(
        action="relationship",
        by=by,
        from_state="published" if relationship.is_published else "unpublished",
        to_state="deleted",
        comment=_relationship_describe(relationship),
        subject=f"organization:{relationship.subject.slug}",
    )
    relationship.delete()
    _paths_request(affected)


@transaction.atomic
def alias_add(*, by: User | None, organization: Organization, name: str) -> OrganizationAlias:
    """Give an organization another name. Refused when that name already names an organization."""
    policy.check(by, "organization.edit")
    name = " ".join(name.split())
    normalized = normalize_organization_name(name)
    if not normalized:
        raise ValidationError({"name": ["An alias needs at least one letter or digit."]})
    existing = organizations_matching([name])[name]
    if existing is not None:
        if existing.pk == organization.pk:
            raise ValidationError({"name": [f"{organization.name} already goes by this name."]})
        raise ValidationError({"name": [f"This name already belongs to {existing.name}."]})
    alias = OrganizationAlias(organization=organization, name=name, normalized=normalized)
    _clean(alias, exclude=["organization", "normalized"])
    alias.save()
    return alias


@transaction.atomic
def alias_remove(*, by: User | None, alias: OrganizationAlias) -> None:
    policy.check(by, "organization.edit")
    alias.delete()


@transaction.atomic
def organization_merge(*, by: User | None, source: Organization, target: Organization) -> Organization:
    """Fold ``source`` (a duplicate record of one company) into ``target``.

    Its parties, risk-summary figures, relationships and aliases move to the
    target; its name becomes an alias; its slug (and any slug that already
    redirected to it) redirects to the target; its exposure row goes, and the
    target's and its counterparties' exposures are recomputed. Refused when
    both are parties to one case (an editor must first decide which role
    stands). Audited.
    """
    policy.check(by, "organization.merge")
    if source.pk == target.pk:
        raise ValidationError({"target": ["Pick two different organizations."]})
    source = Organization.objects.select_for_update().get(pk=source.pk)
    target = Organization.objects.select_for_update().get(pk=target.pk)
    shared = list(
        Case.objects.filter(parties__organization=source)
        .filter(pk__in=Party.objects.filter(organization=target).values("case_id"))
        .values_list("title", flat=True)[:5]
    )
    if shared:
        raise ValidationError(
            {"target": [f"Both are parties to: {'; '.join(shared)}. Remove one of the two parties first."]}
        )
    case_ids = list(Party.objects.filter(organization=source).values_list("case_id", flat=True))
    moved_parties = Party.objects.filter(organization=source).update(organization=target)
    moved_figures = PartyFigure.objects.filter(organization=source).update(organization=target)
    OrganizationRelationship.objects.filter(subject=source, parent=target).delete()
    OrganizationRelationship.objects.filter(subject=target, parent=source).delete()
    moved_links = OrganizationRelationship.objects.filter(subject=source).update(subject=target)
    moved_links += OrganizationRelationship.objects.filter(parent=source).update(parent=target)
    OrganizationAlias.objects.filter(organization=source).update(organization=target)
    normalized = normalize_organization_name(source.name)
    if (
        normalized != normalize_organization_name(target.name)
        and not OrganizationAlias.objects.filter(normalized=normalized).exists()
    ):
        OrganizationAlias.objects.create(organization=target, name=source.name, normalized=normalized)
    OrganizationRedirect.objects.filter(organization=source).update(organization=target)
    OrganizationRedirect.objects.create(old_slug=source.slug, organization=target)
    OrganizationExposure.objects.filter(organization=source).delete()
    now = timezone.now()
    Case.objects.filter(pk__in=case_ids).update(updated_at=now)  # cached rows and pages name the organization
    source_desc = f"{source.name} ({source.slug})"
    _audit(
        action="merge",
        by=by,
        from_state=source.slug,
        to_state=target.slug,
        comment=(
            f"Merged {source_desc} into {target.name} ({target.slug}): {moved_parties} parties,"
            f" {moved_figures} figures, {moved_links} relationships moved; {source.slug} redirects."
        ),
        subject=f"organization:{target.slug}",
    )
    source.delete()
    Organization.objects.filter(pk=target.pk).update(updated_at=now)
    target.refresh_from_db()
    _paths_request({target.pk})
    return target
