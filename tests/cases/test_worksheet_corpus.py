"""The worksheet on its corpus of real announcements: field by field, against hand-made expectations.

The numbers kept in ``bench/WORKSHEET.md`` must be the ones the extractor
gives now; the floors below catch a change that makes a field worse (they
were set from the first honest measurement, not tuned to it).
"""

from __future__ import annotations

import json

from bench.worksheet_accuracy import REPORT, report, score
from cases.worksheet import extract
from tests.cases.worksheet_corpus import CORPUS, DEMO_CASES, known_organizations

FLOORS = {  # field: (precision, recall)
    "organizations": (0.9, 0.95),
    "roles": (0.7, 0.7),
    "deal_types": (0.85, 0.85),
    "amounts": (0.95, 0.95),
    "capacity": (0.9, 0.95),
    "dates": (0.95, 0.95),
    "terms": (0.95, 0.85),
    "concrete": (0.95, 0.95),
    "vague": (0.9, 0.5),
}


def test_the_corpus_covers_the_demo_deals():
    slugs = {c["slug"] for c in json.loads(DEMO_CASES.read_text())}
    assert len(CORPUS) >= 10
    assert {a.case for a in CORPUS} <= slugs
    assert "xai-anthropic-colossus-1" in {a.case for a in CORPUS}
    for item in CORPUS:
        assert item.organizations and item.deal_types, item.case


def test_each_field_keeps_its_precision_and_recall():
    totals, _ = score()
    for name, (tp, fp, fn) in totals.items():
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        floor_p, floor_r = FLOORS[name]
        assert precision >= floor_p, (name, precision)
        assert recall >= floor_r, (name, recall)


def test_the_kept_results_are_the_current_ones():
    assert REPORT.read_text() == report(), "run: .venv/bin/python -m bench.worksheet_accuracy --write"


def test_the_colossus_lease_field_by_field():
    item = next(a for a in CORPUS if a.case == "xai-anthropic-colossus-1")
    ws = extract(item.text, organizations=known_organizations())
    roles = {o.slug: o.role for o in ws.organizations}
    assert roles["xai"] == "provider" and roles["anthropic"] == "customer"
    assert {d.slug for d in ws.deal_types} == {"compute_lease"}
    assert {(a.currency, a.low, a.high, a.per) for a in ws.amounts} == {("USD", 1_250_000_000, 1_250_000_000, "month")}
    assert {(c.kind, int(c.value), c.qualifier) for c in ws.capacities} == {
        ("power", 300, "more than"),
        ("chips", 220_000, "more than"),
    }
    assert {(t.kind, t.value) for t in ws.terms} == {("through", "2029-05"), ("exit_notice", "90 days")}
    assert ws.capacity_mw() == 300 and ws.capacity_chips() == 220_000
    # Each proposal points at the sentence it was read from.
    for proposal in [*ws.amounts, *ws.capacities, *ws.terms, *ws.dates]:
        assert proposal.text in ws.sentence(proposal.sentence)
