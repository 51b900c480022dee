"""The scoring engine: the demo case's numbers, and the rule's invariants."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluations import scoring

RUBRIC = json.loads((Path(__file__).resolve().parents[2] / "evaluations/demo_data/rubric_v1.json").read_text())


def spec_from(data: dict = RUBRIC, **overrides) -> scoring.RubricSpec:
    classification = {**data["version"]["classification"], **overrides}
    return scoring.RubricSpec.build(
        scale_min=data["version"]["scale"]["min"],
        scale_max=data["version"]["scale"]["max"],
        criteria=[
            scoring.CriterionSpec(c["key"], c["family"], Decimal(str(c["weight"])), c["per_party"])
            for c in data["criteria"]
        ],
        classification=classification,
    )


SPEC = spec_from()
KEYS = [c["key"] for c in RUBRIC["criteria"]]
COLOSSUS = {
    "Anthropic": {
        "distribution": 0,
        "compute_access": 4,
        "data_rights": 0,
        "margin": 1,
        "gap_filling": 3,
        "dependency": 3,
    },
    "xAI": {"distribution": 0, "compute_access": 0, "data_rights": 0, "margin": 3, "gap_filling": 2, "dependency": 1},
}


def test_colossus_case_matches_the_published_numbers():
    summary = scoring.summarize(SPEC, COLOSSUS)
    by_party = {p.party: p for p in summary.parties}
    anthropic, xai = by_party["Anthropic"], by_party["xAI"]
    assert (anthropic.leverage, anthropic.workaround, anthropic.dependency) == (
        Decimal("33.9"),
        Decimal("75.0"),
        Decimal("75.0"),
    )
    assert anthropic.classification == scoring.Classification.DEPENDENCY_RISK
    assert (xai.leverage, xai.workaround, xai.dependency) == (Decimal("16.1"), Decimal("50.0"), Decimal("25.0"))
    assert xai.classification == scoring.Classification.TEMPORARY_WORKAROUND
    assert summary.risk_index == Decimal("82.5")
    assert summary.risk_band == "high"
    assert summary.classification == scoring.Classification.DEPENDENCY_RISK
    assert summary.missing == ()


def test_unscored_family_is_null_and_counts_as_zero():
    summary = scoring.summarize(SPEC, {"A": {"distribution": 4, "compute_access": 4}})
    party = summary.parties[0]
    assert party.workaround is None and party.dependency is None
    # leverage = (4+4)/2/4*100 = 100 with nothing else scored: durable leverage
    assert party.leverage == Decimal("100.0")
    assert party.classification == scoring.Classification.DURABLE_LEVERAGE
    assert summary.risk_index == Decimal("0.0")
    assert summary.risk_band == "low"
    assert set(summary.missing) == {"data_rights", "margin", "gap_filling", "dependency"}
    assert summary.needs_reevaluation


def test_mixed_when_no_threshold_is_reached():
    scores = {"distribution": 1, "compute_access": 1, "data_rights": 1, "margin": 1, "gap_filling": 1, "dependency": 1}
    assert scoring.summarize(SPEC, {"A": scores}).parties[0].classification == scoring.Classification.MIXED


def test_thresholds_and_bands_come_from_the_rubric_data():
    stricter = spec_from(dependency_risk_at=80, risk_bands={"low": 0, "elevated": 85, "high": 95})
    summary = scoring.summarize(stricter, COLOSSUS)
    assert {p.party: p.classification for p in summary.parties}[
        "Anthropic"
    ] == scoring.Classification.TEMPORARY_WORKAROUND
    assert summary.risk_band == "low"


def test_weights_are_honoured():
    heavy = json.loads(json.dumps(RUBRIC))
    for criterion in heavy["criteria"]:
        if criterion["key"] == "compute_access":
            criterion["weight"] = 3
    party = scoring.summarize(spec_from(heavy), {"A": COLOSSUS["Anthropic"]}).parties[0]
    # (0*1 + 4*3 + 0*0.75 + 1*0.75) / 5.5 / 4 * 100 = 57.95...
    assert party.leverage == Decimal("58.0")


def test_per_deal_criterion_counts_for_every_party():
    data = json.loads(json.dumps(RUBRIC))
    data["criteria"].append({"key": "lock_in", "family": "dependency", "weight": 1, "per_party": False})
    summary = scoring.summarize(spec_from(data), COLOSSUS, {"lock_in": 4})
    by_party = {p.party: p for p in summary.parties}
    assert by_party["xAI"].dependency == Decimal("62.5")  # (1 + 4) / 2 / 4
    assert by_party["Anthropic"].dependency == Decimal("87.5")


def test_scores_outside_the_scale_are_refused():
    with pytest.raises(ValueError, match="outside the scale"):
        scoring.summarize(SPEC, {"A": {"dependency": 5}})


def test_bad_rubric_data_is_refused_clearly():
    with pytest.raises(scoring.RubricDataError, match="classification"):
        scoring.RubricSpec.build(scale_min=0, scale_max=4, criteria=[], classification={})
    with pytest.raises(scoring.RubricDataError, match="family"):
        scoring.RubricSpec.build(
            scale_min=0,
            scale_max=4,
            criteria=[scoring.CriterionSpec("x", "vibes", Decimal(1))],
            classification=RUBRIC["version"]["classification"],
        )


def test_no_parties_no_index():
    summary = scoring.summarize(SPEC, {})
    assert summary.risk_index is None and summary.classification is None


score = st.integers(min_value=0, max_value=4)
party_scores = st.dictionaries(st.sampled_from(KEYS), score)
deal = st.dictionaries(st.text(min_size=1, max_size=5), party_scores, min_size=1, max_size=6)


@given(deal)
def test_results_are_bounded(parties):
    summary = scoring.summarize(SPEC, parties)
    assert Decimal(0) <= summary.risk_index <= Decimal(100)
    assert summary.risk_band in {"low", "elevated", "high"}
    for party in summary.parties:
        for figure in (party.leverage, party.workaround, party.dependency):
            assert figure is None or Decimal(0) <= figure <= Decimal(100)
            assert figure is None or figure == figure.quantize(Decimal("0.1"))


@given(deal, st.data())
def test_more_dependency_never_lowers_the_risk_index(parties, data):
    name = data.draw(st.sampled_from(sorted(parties)))
    before = scoring.summarize(SPEC, parties).risk_index
    current = parties[name].get("dependency", 0)
    raised = {**parties, name: {**parties[name], "dependency": data.draw(st.integers(current, 4))}}
    assert scoring.summarize(SPEC, raised).risk_index >= before


@given(deal)
def test_equal_inputs_give_equal_fingerprints_and_summaries(parties):
    copy = {name: dict(reversed(list(scores.items()))) for name, scores in parties.items()}
    assert scoring.summarize(SPEC, parties) == scoring.summarize(SPEC, copy)
    assert scoring.fingerprint(sorted((k, sorted(v.items())) for k, v in parties.items())) == scoring.fingerprint(
        sorted((k, sorted(v.items())) for k, v in copy.items())
    )
