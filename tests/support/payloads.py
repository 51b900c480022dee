"""Payloads: the desk's forms as a browser posts them, and a case as the API takes it."""

from __future__ import annotations

from cases.models import Organization
from evaluations.models import Criterion, EvaluationVersion


def formset(prefix: str, rows: list[dict], extra: int = 0, blank: dict | None = None) -> dict:
    """A formset's POST data; ``extra`` empty rows as a browser sends them (``blank``: select defaults)."""
    rows = rows + [dict(blank or {}) for _ in range(extra)]
    extra = 0
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows) + extra),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data


def case_payload(*, parties: list[dict] | None = None, sources: list[dict] | None = None, **fields) -> dict:
    data = {
        "title": "Nimbus leases chips to Anthropic",
        "summary": "A cloud start-up leases a cluster to a model lab.",
        "announced_on": "2026-03-02",
        "announced_precision": "day",
        "deal_types": ["compute_lease"],
        "value_low_usd": "1000000000",
        "value_high_usd": "2000000000",
        "value_note": "reported by two outlets",
        "capacity_mw": "150",
        "capacity_chips": "",
        "capacity_note": "",
        "tags": "compute, leases",
    }
    data.update(fields)
    if parties is None:
        anthropic = Organization.objects.get(name="Anthropic")
        parties = [
            {"organization": str(anthropic.pk), "role": "customer"},
            {"new_organization_name": "Nimbus Compute", "new_organization_kind": "cloud_provider", "role": "provider"},
        ]
    if sources is None:
        sources = [
            {
                "publisher": "The Wire",
                "title": "Nimbus signs Anthropic",
                "url": "https://example.com/nimbus",
                "published_on": "2026-03-02",
                "published_precision": "day",
                "claim": "the lease",
            }
        ]
    data.update(formset("parties", parties, extra=1))
    data.update(formset("sources", sources, extra=1, blank={"published_precision": "day"}))
    return data


def version_payload(
    version: EvaluationVersion, *, narrative: str, verdict: str = "A lease, not a moat.", value: int = 2, **extra
) -> dict:
    """Every criterion scored ``value`` for every party (or the deal), each with a rationale and a source."""
    case = version.case
    source_ids = list(case.sources.values_list("pk", flat=True))
    data = {
        "lock_version": str(extra.pop("lock_version", version.lock_version)),
        "narrative": narrative,
        "verdict": verdict,
        "change_note": extra.pop("change_note", ""),
    }
    parties = list(case.parties.order_by("position", "id"))
    for criterion in Criterion.objects.filter(version=version.evaluation.rubric_version):
        for party in parties if criterion.per_party else [None]:
            prefix = f"s-{criterion.key}-{party.pk if party else 'deal'}"
            data[f"{prefix}-value"] = str(value)
            data[f"{prefix}-rationale"] = f"{criterion.key} because of the lease"
            data[f"{prefix}-sources"] = [str(pk) for pk in source_ids[:1]]
    data.update(extra)
    return data


# END


# A new case as the API takes it.
CASE_BODY = {
    "title": "Example Cloud commits capacity to Example Lab",
    "summary": "A multi-year cloud commitment.",
    "announced_on": "2026-03-01",
    "deal_types": ["compute_lease"],
    "tags": ["Cloud", "Example"],
    "parties": [{"organization": "xai", "role": "provider"}, {"organization": "anthropic", "role": "customer"}],
    "sources": [
        {
            "publisher": "Example Times",
            "title": "The deal",
            "url": "https://example.com/deal",
            "published_on": "2026-03-02",
        }
    ],
}
