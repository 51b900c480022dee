"""Business-model drift: an organization's roles per year. Pure: no database.

The rule, stated once (the thresholds are data: ``evaluations/rules/drift.json``):

* Each of the organization's published deals counts once per year announced,
  in the **role family** of its own role there (``families`` maps roles to
  families; a deal where it holds two roles counts in both, each with half).
* A year's **shares** are each family's count over the year's deals.
* A **shift** is said in plain language for a year with at least
  ``min_deals_in_year`` deals when its leading family is not the leading
  family of all earlier years pooled, and its share rose by at least
  ``min_share_change`` (0 to 1) over that pool: "In 2026 xAI appears more
  often as a provider of compute or capacity than as a buyer".
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

RULES_PATH = Path(__file__).resolve().parent / "rules" / "drift.json"


@cache
def rules() -> dict:
    return json.loads(RULES_PATH.read_text())


def _family_of(rules: dict) -> dict[str, str]:
    return {role: family for family, roles in rules["families"].items() for role in roles}


def _shares(counts: dict[str, Decimal]) -> dict[str, float]:
    total = sum(counts.values(), Decimal(0))
    return {
        family: float((count / total).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
        for family, count in sorted(counts.items())
        if total
    }


def _leader(counts: dict[str, Decimal], order: list[str]) -> str | None:
    if not counts:
        return None
    return max(counts, key=lambda f: (counts[f], -order.index(f)))


def compute(name: str, deals: Iterable[tuple[int, int, str]], rules: dict) -> dict:
    """``deals``: (case id, year, own role) rows. Returns {years: [{year, deals, shares}], lines: [...]}."""
    family_of = _family_of(rules)
    order = list(rules["families"])
    roles_by_case: dict[tuple[int, int], list[str]] = defaultdict(list)
    for case_id, year, role in deals:
        if role in family_of:
            roles_by_case[(case_id, year)].append(family_of[role])
    per_year: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    deal_counts: dict[int, int] = defaultdict(int)
    for (_, year), families in roles_by_case.items():
        deal_counts[year] += 1
        for family in families:
            per_year[year][family] += Decimal(1) / len(families)
    years = sorted(per_year)
    pooled: dict[str, Decimal] = defaultdict(Decimal)
    lines = []
    for year in years:
        counts = per_year[year]
        if pooled and deal_counts[year] >= rules["min_deals_in_year"]:
            now_leader, before_leader = _leader(counts, order), _leader(pooled, order)
            now_share = _shares(counts).get(now_leader, 0.0) if now_leader else 0.0
            before_share = _shares(pooled).get(now_leader, 0.0) if now_leader else 0.0
            if now_leader != before_leader and now_share - before_share >= rules["min_share_change"]:
                lines.append(
                    {
                        "year": year,
                        "from": before_leader,
                        "to": now_leader,
                        "text": (
                            f"In {year} {name} appears more often as {rules['labels'][now_leader]}"
                            f" than as {rules['labels'][before_leader]}"
                            f" ({round(now_share * 100)}% of its deals that year, against"
                            f" {round(before_share * 100)}% before)."
                        ),
                    }
                )
        for family, count in counts.items():
            pooled[family] += count
    return {
        "families": order,
        "years": [{"year": y, "deals": deal_counts[y], "shares": _shares(per_year[y])} for y in years],
        "lines": lines,
    }
