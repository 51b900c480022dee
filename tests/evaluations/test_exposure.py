"""Organization exposure: the pure rule, and the service on the demo corpus."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cases.models import Organization
from evaluations import exposure
from evaluations.exposure import Deal, DealParty
from evaluations.services import exposures

ME = 1


def deal(case_id, year, types, *others, my_role="customer", classification=""):
    parties = (DealParty(ME, my_role, "me", "Me"), *(DealParty(o, r, f"s{o}", f"S{o}") for o, r in others))
    return Deal(case_id, year, tuple(types), parties, classification)


def test_one_supplier_is_full_concentration():
    result = exposure.compute(ME, [deal(1, 2024, ["compute_lease"], (2, "provider"))])
    assert result.hhi == Decimal("10000.0")
    assert result.suppliers == [{"slug": "s2", "name": "S2", "deals": 1, "share": 1.0}]


def test_shares_split_deals_among_suppliers_and_hhi_sums_squares():
    deals = [
        deal(1, 2023, ["cloud_commitment"], (2, "provider")),
        deal(2, 2024, ["chip_supply", "equity_investment"], (3, "provider")),
        deal(3, 2024, ["compute_lease"], (2, "provider"), (4, "provider")),  # half each
        deal(4, 2025, ["distribution"], (5, "provider")),  # not a compute deal
    ]
    result = exposure.compute(ME, deals)
    shares = {s["slug"]: s["share"] for s in result.suppliers}
    assert shares == {"s2": 0.5, "s3": 0.3333, "s4": 0.1667}
    assert [s["slug"] for s in result.suppliers] == ["s2", "s3", "s4"]  # largest first
    expected = (Decimal(50) ** 2 + (Decimal(100) / 3) ** 2 + (Decimal(100) / 6) ** 2).quantize(Decimal("0.1"))
    assert result.hhi == expected
    assert result.suppliers[0]["deals"] == 2


def test_investors_supply_only_when_no_provider_is_named_and_providers_supply_nobody():
    assert [
        p.organization_id for p in exposure.suppliers_of(ME, deal(1, 2024, ["cloud_commitment"], (2, "investor")))
    ] == [2]
    mixed = deal(1, 2024, ["cloud_commitment"], (2, "investor"), (3, "provider"))
    assert [p.organization_id for p in exposure.suppliers_of(ME, mixed)] == [3]
    assert exposure.suppliers_of(ME, deal(1, 2024, ["compute_lease"], (2, "customer"), my_role="provider")) == []
    assert exposure.compute(ME, []).hhi is None


def test_classification_counts_and_trend_by_year():
    deals = [
        deal(1, 2023, ["distribution"], (2, "partner"), classification="durable_leverage"),
        deal(2, 2024, ["compute_lease"], (2, "provider"), classification="dependency_risk"),
        deal(3, 2024, ["compute_lease"], (3, "provider"), classification="dependency_risk"),
        deal(4, 2024, ["compute_lease"], (3, "provider")),
    ]
    result = exposure.compute(ME, deals)
    assert result.classification_counts == {"dependency_risk": 2, "durable_leverage": 1, "unclassified": 1}
    assert result.trend == {
        "2023": {"durable_leverage": 1},
        "2024": {"dependency_risk": 2, "unclassified": 1},
    }


def test_the_fingerprint_ignores_order():
    a = [deal(1, 2024, ["compute_lease"], (2, "provider")), deal(2, 2023, ["chip_supply"], (3, "provider"))]
    assert exposure.deals_fingerprint(a) == exposure.deals_fingerprint(list(reversed(a)))


@pytest.mark.django_db
def test_service_on_the_demo_corpus_is_idempotent(demo):
    anthropic = Organization.objects.get(name="Anthropic")
    assert exposures.organization_exposures_recompute(organization_ids=[anthropic.pk]) in ([], [anthropic.pk])
    row = anthropic.exposure
    # Colossus (xAI provides), Amazon (investor, no provider), Google (provider), Microsoft (provider; NVIDIA
    # the investor does not count since a provider is named).
    assert {s["name"]: s["deals"] for s in row.suppliers} == {"xAI": 1, "Amazon": 1, "Google": 1, "Microsoft": 1}
    assert row.concentration_hhi == Decimal("2500.0")
    assert sum(row.classification_counts.values()) == 4
    assert exposures.organization_exposures_recompute(organization_ids=[anthropic.pk]) == []
