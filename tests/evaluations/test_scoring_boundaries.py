"""The scoring rule at its edges: exactly at, just below and just above every threshold and band.

A scale of 0-100 with one criterion a family makes each family figure equal to
the score given, so the tables read as the rule reads. The thresholds and bands
are rubric v1's (60 / 50 / 50, bands at 40 and 70, a tenth of workaround).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from evaluations import scoring
from evaluations.scoring import Classification as C

CLASSIFICATION = {
    "dependency_risk_at": 60,
    "leverage_at": 50,
    "workaround_at": 50,
    "workaround_share_in_risk_index": 0.1,
    "risk_bands": {"low": 0, "elevated": 40, "high": 70},
}


def spec(*criteria: scoring.CriterionSpec) -> scoring.RubricSpec:
    criteria = criteria or (
        scoring.CriterionSpec("lev", "leverage", Decimal(1)),
        scoring.CriterionSpec("wrk", "workaround", Decimal(1)),
        scoring.CriterionSpec("dep", "dependency", Decimal(1)),
    )
    return scoring.RubricSpec.build(scale_min=0, scale_max=100, criteria=criteria, classification=CLASSIFICATION)


SPEC = spec()


def party(lev: int, wrk: int, dep: int) -> dict[str, int]:
    return {"lev": lev, "wrk": wrk, "dep": dep}


D = Decimal


@pytest.mark.parametrize(
    ("leverage", "workaround", "dependency", "expected"),
    [
        # Dependency risk: from 60, whatever else.
        (D("0"), D("0"), D("60"), C.DEPENDENCY_RISK),
        (D("100"), D("0"), D("60"), C.DEPENDENCY_RISK),
        (D("0"), D("100"), D("60.0"), C.DEPENDENCY_RISK),
        (D("0"), D("0"), D("59.9"), C.MIXED),
        (D("0"), D("0"), D("60.1"), C.DEPENDENCY_RISK),
        # Durable leverage: leverage from 50 and workaround below 50.
        (D("50"), D("49.9"), D("59.9"), C.DURABLE_LEVERAGE),
        (D("50"), D("0"), D("0"), C.DURABLE_LEVERAGE),
        (D("50.1"), D("0"), D("0"), C.DURABLE_LEVERAGE),
        (D("49.9"), D("0"), D("0"), C.MIXED),
        (D("50"), D("50"), D("0"), C.TEMPORARY_WORKAROUND),
        (D("100"), D("50"), D("0"), C.TEMPORARY_WORKAROUND),
        # Temporary workaround: workaround from 50.
        (D("0"), D("50"), D("0"), C.TEMPORARY_WORKAROUND),
        (D("0"), D("50.1"), D("0"), C.TEMPORARY_WORKAROUND),
        (D("0"), D("49.9"), D("0"), C.MIXED),
        (D("49.9"), D("49.9"), D("59.9"), C.MIXED),
        # A family nobody scored counts as 0.
        (None, None, None, C.MIXED),
        (D("50"), None, None, C.DURABLE_LEVERAGE),
        (None, D("50"), None, C.TEMPORARY_WORKAROUND),
        (None, None, D("60"), C.DEPENDENCY_RISK),
    ],
)
def test_party_classification_at_each_threshold(leverage, workaround, dependency, expected):
    assert scoring.classify_party(SPEC, leverage, workaround, dependency) == expected


@pytest.mark.parametrize(
    ("index", "band"),
    [
        (D("0"), "low"),
        (D("39.9"), "low"),
        (D("40"), "elevated"),
        (D("40.0"), "elevated"),
        (D("40.1"), "elevated"),
        (D("69.9"), "elevated"),
        (D("70"), "high"),
        (D("70.1"), "high"),
        (D("100"), "high"),
    ],
)
def test_risk_band_at_each_bound(index, band):
    assert scoring.risk_band(SPEC, index) == band


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        # Through the whole engine: each family figure is the score itself.
        (party(0, 0, 60), C.DEPENDENCY_RISK),
        (party(0, 0, 59), C.MIXED),
        (party(50, 49, 0), C.DURABLE_LEVERAGE),
        (party(49, 49, 0), C.MIXED),
        (party(50, 50, 0), C.TEMPORARY_WORKAROUND),
        (party(0, 50, 0), C.TEMPORARY_WORKAROUND),
        (party(0, 49, 0), C.MIXED),
    ],
)
def test_summary_classifies_at_each_threshold(scores, expected):
    summary = scoring.summarize(SPEC, {"a": scores})
    assert summary.parties[0].classification == expected
    assert summary.classification == expected


@pytest.mark.parametrize(
    ("dependency", "workaround", "index", "band"),
    [
        (40, 0, D("40.0"), "elevated"),
        (39, 9, D("39.9"), "low"),
        (39, 10, D("40.0"), "elevated"),
        (70, 0, D("70.0"), "high"),
        (69, 9, D("69.9"), "elevated"),
        (69, 10, D("70.0"), "high"),
    ],
)
def test_risk_index_lands_on_each_band_bound(dependency, workaround, index, band):
    summary = scoring.summarize(SPEC, {"a": party(0, workaround, dependency)})
    assert (summary.risk_index, summary.risk_band) == (index, band)


def test_risk_index_takes_the_top_dependency_plus_a_share_of_the_top_workaround():
    # Unequal terms from different parties: swapping them would give 80 + 3 = 83.
    summary = scoring.summarize(SPEC, {"a": party(0, 0, 30), "b": party(0, 80, 10)})
    assert summary.risk_index == D("38.0")
    assert summary.risk_band == "low"


def test_risk_index_is_capped_at_100():
    summary = scoring.summarize(SPEC, {"a": party(0, 100, 95)})
    assert summary.risk_index == D("100")
    assert summary.risk_band == "high"


def test_half_up_rounding_of_a_family_figure():
    # Four equal weights summing to 49 give 12.25: half up is 12.3 (half even would be 12.2).
    four = spec(*(scoring.CriterionSpec(f"w{i}", "workaround", Decimal(1)) for i in range(4)))
    summary = scoring.summarize(four, {"a": {"w0": 12, "w1": 12, "w2": 12, "w3": 13}})
    assert summary.parties[0].workaround == D("12.3")


def test_half_up_rounding_of_the_risk_index():
    # 40 + a tenth of 12.5 = 41.25, which rounds half up to 41.3.
    two = spec(
        scoring.CriterionSpec("w0", "workaround", Decimal(1)),
        scoring.CriterionSpec("w1", "workaround", Decimal(1)),
        scoring.CriterionSpec("dep", "dependency", Decimal(1)),
    )
    summary = scoring.summarize(two, {"a": {"w0": 12, "w1": 13, "dep": 40}})
    assert summary.parties[0].workaround == D("12.5")
    assert summary.risk_index == D("41.3")


@pytest.mark.parametrize(
    ("value", "rounded"),
    [(D("0.05"), D("0.1")), (D("12.25"), D("12.3")), (D("12.45"), D("12.5")), (D("99.95"), D("100.0"))],
)
def test_round_is_half_up(value, rounded):
    assert scoring._round(value) == rounded


def test_weighted_mean_uses_the_weights():
    weighted = spec(
        scoring.CriterionSpec("heavy", "leverage", Decimal(3)),
        scoring.CriterionSpec("light", "leverage", Decimal(1)),
    )
    # (3*60 + 1*20) / 4 = 50: durable leverage exactly at the threshold; an unweighted mean would be 40.
    summary = scoring.summarize(weighted, {"a": {"heavy": 60, "light": 20}})
    assert summary.parties[0].leverage == D("50.0")
    assert summary.parties[0].classification == C.DURABLE_LEVERAGE


def test_a_per_deal_criterion_counts_in_every_partys_figure():
    with_deal = spec(
        scoring.CriterionSpec("dep", "dependency", Decimal(1)),
        scoring.CriterionSpec("deal_dep", "dependency", Decimal(1), per_party=False),
    )
    summary = scoring.summarize(with_deal, {"a": {"dep": 40}, "b": {"dep": 80}}, {"deal_dep": 80})
    assert [p.dependency for p in summary.parties] == [D("60.0"), D("80.0")]
    assert [p.classification for p in summary.parties] == [C.DEPENDENCY_RISK, C.DEPENDENCY_RISK]
    assert summary.missing == ()


def test_the_deal_takes_its_most_exposed_party():
    cases = [
        ({"a": party(50, 0, 0), "b": party(0, 0, 0)}, C.MIXED),
        ({"a": party(50, 0, 0), "b": party(0, 50, 0)}, C.TEMPORARY_WORKAROUND),
        ({"a": party(0, 50, 0), "b": party(0, 0, 60)}, C.DEPENDENCY_RISK),
        ({"a": party(50, 0, 0), "b": party(60, 0, 0)}, C.DURABLE_LEVERAGE),
    ]
    for parties, expected in cases:
        assert scoring.summarize(SPEC, parties).classification == expected


@pytest.mark.parametrize("score", [-1, 101])
def test_a_score_outside_the_scale_is_refused(score):
    with pytest.raises(ValueError, match="outside the scale"):
        scoring.summarize(SPEC, {"a": party(score, 0, 0)})


@pytest.mark.parametrize("score", [0, 100])
def test_the_scale_ends_are_accepted(score):
    assert scoring.summarize(SPEC, {"a": party(score, score, score)}).parties[0].leverage == D(score)


def _build(*, scale_min=0, scale_max=100, criteria=None, **classification):
    return scoring.RubricSpec.build(
        scale_min=scale_min,
        scale_max=scale_max,
        criteria=criteria or [scoring.CriterionSpec("lev", "leverage", Decimal(1))],
        classification={**CLASSIFICATION, **classification},
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale_min": 4, "scale_max": 4}, "the scale's minimum must be below its maximum"),
        ({"scale_min": 5, "scale_max": 4}, "the scale's minimum must be below its maximum"),
        ({"criteria": [scoring.CriterionSpec("x", "leverage", Decimal(0))]}, "criterion 'x' needs a positive weight"),
        ({"criteria": [scoring.CriterionSpec("x", "leverage", Decimal(-1))]}, "criterion 'x' needs a positive weight"),
        ({"criteria": [scoring.CriterionSpec("x", "luck", Decimal(1))]}, "criterion 'x' has unknown family 'luck'"),
        ({"risk_bands": {}}, "risk bands must start at 0"),
        ({"risk_bands": {"low": 1, "high": 70}}, "risk bands must start at 0"),
        ({"risk_bands": {"low": "0.1"}}, "risk bands must start at 0"),
    ],
)
def test_rubric_data_that_cannot_drive_the_engine_is_refused(kwargs, message):
    with pytest.raises(scoring.RubricDataError) as refused:
        _build(**kwargs)
    assert str(refused.value) == message


def test_a_missing_classification_key_is_refused():
    classification = {k: v for k, v in CLASSIFICATION.items() if k != "leverage_at"}
    with pytest.raises(scoring.RubricDataError, match="incomplete or malformed"):
        scoring.RubricSpec.build(
            scale_min=0,
            scale_max=4,
            criteria=[scoring.CriterionSpec("lev", "leverage", 1)],
            classification=classification,
        )


def test_a_scale_that_does_not_start_at_zero():
    # On a 1-5 scale a 1 is 0 % and a 5 is 100 %; a 4 is 75 %.
    one_to_five = _build(scale_min=1, scale_max=5)
    assert [scoring.summarize(one_to_five, {"a": {"lev": s}}).parties[0].leverage for s in (1, 4, 5)] == [
        D("0.0"),
        D("75.0"),
        D("100.0"),
    ]


def test_an_unscored_criterion_does_not_hide_the_rest_of_its_family():
    two = spec(
        scoring.CriterionSpec("w0", "workaround", Decimal(1)),
        scoring.CriterionSpec("w1", "workaround", Decimal(1)),
    )
    summary = scoring.summarize(two, {"a": {"w1": 70}})
    assert summary.parties[0].workaround == D("70.0")
    assert summary.missing == ("w0",)


def test_an_unscored_family_counts_as_zero_even_where_one_would_cross_a_threshold():
    low = _build(dependency_risk_at=1, leverage_at=1, workaround_at=1)
    assert scoring.classify_party(low, None, None, None) == C.MIXED
    assert scoring.classify_party(low, None, None, D("1")) == C.DEPENDENCY_RISK


def test_no_party_scored_gives_an_empty_summary_listing_what_is_missing():
    summary = scoring.summarize(SPEC, {})
    assert summary == scoring.Summary(parties=(), risk_index=None, risk_band="", classification=None, missing=())
    with_deal = spec(scoring.CriterionSpec("deal", "dependency", Decimal(1), per_party=False))
    assert scoring.summarize(with_deal, {}).missing == ("deal",)
    assert scoring.summarize(with_deal, {}).needs_reevaluation


def test_the_fingerprint_is_the_sha256_of_canonical_json():
    # Stored summaries keep this hash: changing its form would recompute every summary.
    assert (
        scoring.fingerprint({"b": 1, "a": [D("1.5"), None]}, 2)
        == hashlib.sha256(b'[{"a":["1.5",null],"b":1},2]').hexdigest()
    )
    assert scoring.fingerprint({"a": 1, "b": 2}) == scoring.fingerprint({"b": 2, "a": 1})
    assert scoring.fingerprint(1) != scoring.fingerprint(2)
