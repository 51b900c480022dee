"""Independent paths: how many independent supplier groups an organization has. Pure: no database.

The rule, stated once:

* A **control group** is a set of organizations joined by published
  relationships in force (``subsidiary of``, ``merged into``, ``controlled by``),
  whatever their direction: xAI merged into SpaceX puts both in one group.
  The group is named after its top organization (one that is nobody's
  subsidiary within the group; the first by name if several). An organization
  with no such link is a group of its own.
* For each **resource** an organization consumes, its suppliers in each deal
  come from the rule of ``RESOURCES``: compute as in ``evaluations.exposure``
  (providers, else investors, in compute deals where it is not the provider);
  capital from the investors in equity deals where it is the investee.
* Each deal with suppliers weighs 1, split equally among the **groups** of its
  suppliers (two suppliers of one group in one deal count once). A group's
  share is its weight over the total; **concentration** is the
  Herfindahl-Hirschman index of the group shares (0-10,000).
* **Without group X**: the same figures with X's weight removed (deals that had
  only X drop out, deals shared with others keep the others' weight).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from evaluations import exposure


@dataclass(frozen=True)
class Member:
    organization_id: int
    slug: str
    name: str


def capital_suppliers(organization_id: int, deal: exposure.Deal) -> list[exposure.DealParty]:
    if "equity_investment" not in deal.deal_types:
        return []
    own = [p for p in deal.parties if p.organization_id == organization_id]
    if not any(p.role == "investee" for p in own):
        return []
    return [p for p in deal.parties if p.organization_id != organization_id and p.role == "investor"]


RESOURCES: dict[str, Callable[[int, exposure.Deal], list[exposure.DealParty]]] = {
    "compute": exposure.suppliers_of,
    "capital": capital_suppliers,
}


def control_groups(links: Iterable[tuple[int, int]], members: dict[int, Member]) -> dict[int, Member]:
    """Each linked organization's group, named by its top member. ``links`` are (subject, parent) ids."""
    parent_of: dict[int, int] = {}

    def find(node: int) -> int:
        parent_of.setdefault(node, node)
        while parent_of[node] != node:
            parent_of[node] = parent_of[parent_of[node]]
            node = parent_of[node]
        return node

    subjects: set[int] = set()
    for subject, parent in links:
        subjects.add(subject)
        a, b = find(subject), find(parent)
        if a != b:
            parent_of[a] = b
    components: dict[int, list[int]] = defaultdict(list)
    for node in list(parent_of):
        components[find(node)].append(node)
    result: dict[int, Member] = {}
    for nodes in components.values():
        tops = [n for n in nodes if n not in subjects] or nodes
        top = min(tops, key=lambda n: (members[n].name.casefold(), n) if n in members else ("", n))
        for node in nodes:
            result[node] = members.get(top, Member(top, "", ""))
    return result


def _group(party: exposure.DealParty, groups: dict[int, Member]) -> Member:
    return groups.get(party.organization_id) or Member(party.organization_id, party.slug, party.name)


def _round(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _hhi(weights: dict[int, Decimal]) -> float | None:
    total = sum(weights.values(), Decimal(0))
    if not total:
        return None
    return float(_round(sum((((w / total) * 100) ** 2 for w in weights.values()), Decimal(0)), "0.1"))


def _hhi_without(weights: dict[int, Decimal], total: Decimal, squares: Decimal, group: int) -> float | None:
    """``_hhi`` of the weights without ``group``, from their sum and sum of squares: the others keep
    their weights, so the shares' squares add up to (squares - w^2) / (total - w)^2. Linear in the
    groups, where recomputing ``_hhi`` for each group was quadratic (2,000 groups: seconds)."""
    rest = total - weights[group]
    if len(weights) < 2 or not rest:
        return None
    # Rounded twice: first past the arithmetic's last-digit noise, so that a figure exactly on a
    # half (1/3 shares) rounds as the direct sum of the shares' squares rounds it.
    return float(_round(_round((squares - weights[group] ** 2) * 10000 / (rest * rest), "0.000000001"), "0.1"))


def resource_paths(
    organization_id: int,
    deals: list[exposure.Deal],
    groups: dict[int, Member],
    suppliers: Callable[[int, exposure.Deal], list[exposure.DealParty]],
) -> dict | None:
    """One resource's figures, or None when the organization has no supplied deal for it."""
    weights: dict[int, Decimal] = defaultdict(Decimal)
    deal_counts: dict[int, int] = defaultdict(int)
    group_members: dict[int, dict[int, Member]] = defaultdict(dict)
    names: dict[int, Member] = {}
    for deal in deals:
        found = suppliers(organization_id, deal)
        deal_groups: dict[int, Member] = {}
        for party in found:
            group = _group(party, groups)
            deal_groups[group.organization_id] = group
            group_members[group.organization_id][party.organization_id] = Member(
                party.organization_id, party.slug, party.name
            )
        for group_id, group in deal_groups.items():
            weights[group_id] += Decimal(1) / len(deal_groups)
            deal_counts[group_id] += 1
            names[group_id] = group
    if not weights:
        return None
    total = sum(weights.values(), Decimal(0))
    squares = sum((w * w for w in weights.values()), Decimal(0))
    order = sorted(weights, key=lambda g: (-weights[g], names[g].name.casefold(), g))
    return {
        "groups": [
            {
                "slug": names[g].slug,
                "name": names[g].name,
                "members": [
                    {"slug": m.slug, "name": m.name}
                    for m in sorted(group_members[g].values(), key=lambda m: (m.name.casefold(), m.organization_id))
                ],
                "deals": deal_counts[g],
                "share": float(_round(weights[g] / total, "0.0001")),
            }
            for g in order
        ],
        "count": len(weights),
        "suppliers": len({m for members in group_members.values() for m in members}),
        "hhi": _hhi(weights),
        "without": [
            {
                "slug": names[g].slug,
                "name": names[g].name,
                "count": len(weights) - 1,
                "hhi": _hhi_without(weights, total, squares, g),
            }
            for g in order
        ],
    }


def compute(organization_id: int, deals: list[exposure.Deal], groups: dict[int, Member]) -> dict[str, dict]:
    """Every resource's figures for one organization (resources it has no supplier for are left out)."""
    result = {}
    for resource, suppliers in RESOURCES.items():
        figures = resource_paths(organization_id, deals, groups, suppliers)
        if figures is not None:
            result[resource] = figures
    return result


def groups_fingerprint(deals: list[exposure.Deal], groups: dict[int, Member]) -> list:
    """The part of the groups that the organization's figures read (for the inputs hash)."""
    seen = {p.organization_id for deal in deals for p in deal.parties}
    return sorted(
        [org_id, groups[org_id].organization_id, groups[org_id].slug, groups[org_id].name]
        for org_id in seen
        if org_id in groups
    )
