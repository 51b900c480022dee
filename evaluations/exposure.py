"""An organization's exposure across its published deals. Pure: no database.

The rule, stated once:

* A **compute deal** is a case with at least one of the deal types in
  ``COMPUTE_DEAL_TYPES`` (compute lease, cloud commitment, chip supply,
  data-center build).
* In a compute deal, the organization **consumes** compute unless its own
  role is ``provider`` (then it is the one supplying). Its **suppliers** there
  are the other parties with role ``provider``; when the deal names no
  provider, the other parties with role ``investor`` (capital that comes as
  cloud credits or chips, e.g. Amazon's stake in Anthropic).
* Each compute deal with at least one supplier weighs 1, split equally among
  its suppliers. A supplier's **share** is its weight over the total weight.
* **Concentration** is the Herfindahl-Hirschman index of those shares in
  percent: the sum of squared shares, 0 (no concentration) to 10,000 (one
  supplier). ``None`` when the organization has no supplied compute deal.
* **Classification counts** count all its published deals by the
  classification of its own party in each (the summary's party figure);
  ``unclassified`` when the deal has no figure for it yet. The **trend**
  gives the same counts per year announced.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

COMPUTE_DEAL_TYPES = frozenset({"compute_lease", "cloud_commitment", "chip_supply", "data_center_build"})
SUPPLIER_ROLES = ("provider", "investor")  # in order of preference
UNCLASSIFIED = "unclassified"


class DealParty(NamedTuple):
    """A party of a deal. A tuple (organization id, role, slug, name): cheap to build by the
    hundred thousand, ordered as its fields are, and written by ``json`` as a list."""

    organization_id: int
    role: str
    slug: str = ""
    name: str = ""


class Deal(NamedTuple):
    """One published case, seen from one organization (a tuple, for the same reasons)."""

    case_id: int
    year: int
    deal_types: tuple[str, ...]
    parties: tuple[DealParty, ...]
    classification: str = ""  # the organization's own classification in this deal

    def key(self) -> list:
        """Everything in the deal that the figures read, in a canonical order: the deal types and the
        parties sorted (a party sorts as its (organization id, role, slug, name) tuple)."""
        return [self.case_id, self.year, sorted(self.deal_types), sorted(self.parties), self.classification]


@dataclass
class Exposure:
    suppliers: list[dict] = field(default_factory=list)  # [{slug, name, deals, share}], largest share first
    hhi: Decimal | None = None
    classification_counts: dict[str, int] = field(default_factory=dict)
    trend: dict[str, dict[str, int]] = field(default_factory=dict)  # {"2024": {classification: count}}


def deals_fingerprint(deals: list[Deal]) -> list:
    return sorted(deal.key() for deal in deals)


def is_compute_deal(deal: Deal) -> bool:
    return bool(COMPUTE_DEAL_TYPES.intersection(deal.deal_types))


def suppliers_of(organization_id: int, deal: Deal) -> list[DealParty]:
    """The organization's compute suppliers in one deal (empty when it is not a consumer)."""
    if not is_compute_deal(deal):
        return []
    own = [p for p in deal.parties if p.organization_id == organization_id]
    if not own or any(p.role == "provider" for p in own):
        return []
    others = [p for p in deal.parties if p.organization_id != organization_id]
    for role in SUPPLIER_ROLES:
        found = [p for p in others if p.role == role]
        if found:
            return found
    return []


def _round(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def compute(organization_id: int, deals: list[Deal]) -> Exposure:
    weights: dict[int, Decimal] = defaultdict(Decimal)
    deal_counts: Counter[int] = Counter()
    names: dict[int, DealParty] = {}
    for deal in deals:
        suppliers = suppliers_of(organization_id, deal)
        for supplier in suppliers:
            weights[supplier.organization_id] += Decimal(1) / len(suppliers)
            deal_counts[supplier.organization_id] += 1
            names[supplier.organization_id] = supplier
    total = sum(weights.values(), Decimal(0))
    result = Exposure()
    if total:
        shares = {org: weight / total for org, weight in weights.items()}
        result.hhi = _round(sum(((share * 100) ** 2 for share in shares.values()), Decimal(0)), "0.1")
        result.suppliers = [
            {
                "slug": names[org].slug,
                "name": names[org].name,
                "deals": deal_counts[org],
                "share": float(_round(shares[org], "0.0001")),
            }
            for org in sorted(shares, key=lambda org: (-shares[org], names[org].name))
        ]
    counts: Counter[str] = Counter()
    trend: dict[str, Counter[str]] = defaultdict(Counter)
    for deal in deals:
        label = deal.classification or UNCLASSIFIED
        counts[label] += 1
        trend[str(deal.year)][label] += 1
    result.classification_counts = dict(sorted(counts.items()))
    result.trend = {year: dict(sorted(trend[year].items())) for year in sorted(trend)}
    return result
