"""Changing a published case's parties makes its summary and the exposures of those organizations current again.

Each step is checked twice: inside the writing transaction (the summary and the
exposures are flagged stale, so nothing is lost if the queue is) and after
commit (the queued recomputes ran and the counterparties' exposures changed).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from cases import services
from cases.models import Case, Organization
from evaluations.models import OrganizationExposure, RiskSummary
from evaluations.services.exposures import organization_exposures_recompute
from tests.support.content import publish_facts

COLOSSUS = "xai-anthropic-colossus-1"  # a compute lease: xAI provides, Anthropic is the customer


def exposure_of(organization: Organization) -> OrganizationExposure:
    return OrganizationExposure.objects.get(organization=organization)


def supplier_slugs(organization: Organization) -> set[str]:
    exposure = exposure_of(organization)
    assert not exposure.stale
    return {supplier["slug"] for supplier in exposure.suppliers}


def publish_parties(case: Case, editor, reviewer, parties: list[dict]) -> None:
    """A published case's parties change through a version's facts, applied at its publication."""
    publish_facts(case, editor, reviewer, parties=parties)


def test_adding_and_removing_a_party_recomputes_summary_and_exposures(
    demo, editor, reviewer, django_capture_on_commit_callbacks
):
    case = Case.objects.get(slug=COLOSSUS)
    anthropic = Organization.objects.get(slug="anthropic")
    organization_exposures_recompute(organization_ids=[anthropic.pk])  # start from a current exposure
    assert "memphis-power" not in supplier_slugs(anthropic)
    newcomer = services.organization_create(by=editor, name="Memphis Power", kind="data_center_operator")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        held = [{"organization": p.organization.slug, "role": p.role, "note": p.note} for p in case.parties.all()]
        publish_parties(case, editor, reviewer, [*held, {"organization": newcomer.slug, "role": "provider"}])
        assert RiskSummary.objects.get(case=case).stale
        assert exposure_of(anthropic).stale and exposure_of(newcomer).stale
    assert not RiskSummary.objects.get(case=case).stale
    assert sum(exposure_of(newcomer).classification_counts.values()) == 1
    assert "memphis-power" in supplier_slugs(anthropic)  # a counterparty's exposure follows

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish_parties(case, editor, reviewer, held)
        assert RiskSummary.objects.get(case=case).stale
        assert exposure_of(anthropic).stale and exposure_of(newcomer).stale
    assert not RiskSummary.objects.get(case=case).stale
    assert sum(exposure_of(newcomer).classification_counts.values()) == 0
    assert "memphis-power" not in supplier_slugs(anthropic)


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
