"""Changing a published case's parties makes its summary and the exposures of those organizations current again."""

from __future__ import annotations

from datetime import date

from cases import services
from cases.models import Case, Organization
from evaluations.models import OrganizationExposure

COLOSSUS = "xai-anthropic-colossus-1"


def deals_of(organization: Organization) -> int:
    exposure = OrganizationExposure.objects.get(organization=organization)
    assert not exposure.stale
    return sum(exposure.classification_counts.values())


def test_adding_and_removing_a_party_recomputes_summary_and_exposures(demo, editor, django_capture_on_commit_callbacks):
    case = Case.objects.get(slug=COLOSSUS)
    newcomer = services.organization_create(by=editor, name="Memphis Power", kind="data_center_operator")
    with django_capture_on_commit_callbacks(execute=True):
        party = services.party_add(case=case, by=editor, data=services.PartyInput(newcomer.pk, "partner"))
    assert deals_of(newcomer) == 1
    summary = case.risk_summary
    summary.refresh_from_db()
    assert not summary.stale

    with django_capture_on_commit_callbacks(execute=True):
        services.party_remove(party=party, by=editor)
    assert deals_of(newcomer) == 0


def test_a_draft_case_owes_nothing(db, editor, django_capture_on_commit_callbacks):
    organization = services.organization_create(by=editor, name="Lone Lab", kind="model_lab")
    data = services.CaseInput(
        title="Unpublished",
        summary="s",
        announced_on=date(2026, 1, 1),
        parties=(services.PartyInput(organization.pk, "customer"),),
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.case_create(by=editor, data=data)
    assert not callbacks
    assert not OrganizationExposure.objects.filter(organization=organization).exists()
