"""Organization exposure: the pure rule, and the service on the demo corpus."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cases.models import DealType, Organization, Party
from evaluations import exposure, scoring
from evaluations.exposure import Deal, DealParty
from evaluations.services import exposures
from tests.support import tiny

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


def test_the_fingerprint_changes_with_each_input_the_figures_read_and_with_nothing_else():
    deals = [
        deal(2, 2024, ["compute_lease", "chip_supply"], (3, "provider"), (2, "investor"), classification="mixed"),
        deal(1, 2023, ["equity_investment"], (4, "investor"), my_role="investee"),
    ]

    def fingerprint(read):
        return scoring.fingerprint(exposure.deals_fingerprint(read))

    # The hash the stored exposures hold: if it moves, every exposure recomputes once after a deploy.
    assert fingerprint(deals) == "3390f8e0d8a8d8af63e235384966aa87fb3eaff62f5e7b26a36500820a63e8dd"
    # The same deals read again in another order: the deals, each one's deal types, each one's parties.
    again = [d._replace(deal_types=d.deal_types[::-1], parties=d.parties[::-1]) for d in reversed(deals)]
    assert fingerprint(again) == fingerprint(deals)
    first, rest = deals[0], deals[1:]
    me, provider, investor = first.parties
    changed = {
        "a party's role": (me, provider._replace(role="customer"), investor),
        "a party's organization": (me, provider._replace(organization_id=5), investor),
        "a party's slug": (me, provider._replace(slug="s5"), investor),
        "a party's name": (me, provider._replace(name="S5"), investor),
        "a party more": (*first.parties, DealParty(5, "provider", "s5", "S5")),
        "a party fewer": (me, provider),
    }
    variants = {what: first._replace(parties=parties) for what, parties in changed.items()} | {
        "a deal type": first._replace(deal_types=("compute_lease", "distribution")),
        "a deal type fewer": first._replace(deal_types=("compute_lease",)),
        "the year": first._replace(year=2025),
        "the classification": first._replace(classification="dependency_risk"),
        "the case": first._replace(case_id=3),
    }
    for what, variant in variants.items():
        assert fingerprint([variant, *rest]) != fingerprint(deals), what
    assert fingerprint(rest) != fingerprint(deals)  # a deal fewer


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


@pytest.mark.django_db
def test_the_service_rewrites_an_exposure_when_a_role_or_a_deal_type_changes_in_fixed_queries(
    django_assert_num_queries,
):
    made = tiny.case(published=True)  # alpha provides, beta is the customer
    made.deal_types.set(DealType.objects.filter(slug="compute_lease"))
    beta = Organization.objects.get(slug="beta")

    def rewritten():
        # the savepoint, the row ids, the locked row, the three reads of the deals, the control groups,
        # the write, the release: as many queries for one deal as for more
        with django_assert_num_queries(9):
            return exposures.organization_exposures_recompute(organization_ids=[beta.pk])

    def suppliers():
        return [s["slug"] for s in Organization.objects.get(pk=beta.pk).exposure.suppliers]

    assert exposures.organization_exposures_recompute(organization_ids=[beta.pk]) == [beta.pk]  # the row made
    assert suppliers() == ["alpha"]
    assert exposures.organization_exposures_recompute(organization_ids=[beta.pk]) == []  # read again: same hash
    Party.objects.filter(case=made, organization__slug="alpha").update(role="partner")
    assert rewritten() == [beta.pk]
    assert suppliers() == []  # a partner supplies no compute
    made.deal_types.set(DealType.objects.filter(slug="chip_supply"))
    assert rewritten() == [beta.pk]  # the same figures, from another deal type
    more = tiny.case("more", orgs=("gamma", "beta"), published=True)  # gamma provides to beta
    more.deal_types.set(DealType.objects.filter(slug="compute_lease"))
    assert rewritten() == [beta.pk]  # a deal more
    assert suppliers() == ["gamma"]
    assert exposures.organization_exposures_recompute(organization_ids=[beta.pk]) == []
