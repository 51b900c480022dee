"""What changed between two rubric versions (stand-ins, no database)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from evaluations.rubric_changes import rubric_changes

BANDS = {"low": 0, "elevated": 40, "high": 70}


def criterion(key: str, **fields):
    defaults = {"family": "leverage", "weight": Decimal(1), "per_party": True, "question": "?", "guidance": ""}
    return SimpleNamespace(key=key, **{**defaults, **fields})


def version(criteria=(), classification=None, scale=(0, 4)):
    return SimpleNamespace(
        criteria=SimpleNamespace(all=lambda: list(criteria)),
        classification=classification if classification is not None else {"rule": "r", "risk_bands": BANDS},
        scale_min=scale[0],
        scale_max=scale[1],
    )


def test_the_same_version_has_no_changes():
    v = version([criterion("margin")])
    changes = rubric_changes(v, v)
    assert not changes.any
    assert (changes.added, changes.removed, changes.changed, changes.thresholds) == ((), (), (), ())


def test_criteria_are_matched_by_key():
    old = version([criterion("margin"), criterion("dependency", family="dependency")])
    new = version([criterion("dependency", family="dependency", weight=Decimal(2)), criterion("lock_in")])
    changes = rubric_changes(old, new)
    assert [c.key for c in changes.added] == ["lock_in"]
    assert [c.key for c in changes.removed] == ["margin"]
    assert [(c.key, c.field, c.before, c.after) for c in changes.changed] == [
        ("dependency", "weight", Decimal(1), Decimal(2))
    ]
    assert changes.any


def test_every_compared_field_is_reported_and_the_position_is_not():
    old = version([criterion("margin")])
    new = version(
        [criterion("margin", family="workaround", per_party=False, question="New?", guidance="g", position=9)]
    )
    assert {c.field for c in rubric_changes(old, new).changed} == {"family", "per_party", "question", "guidance"}


def test_thresholds_are_compared_key_by_key_and_the_rule_text_is_not():
    old = version(classification={"rule": "old words", "dependency_risk_at": 60, "risk_bands": BANDS})
    new = version(classification={"rule": "new words", "dependency_risk_at": 55, "risk_bands": {**BANDS, "severe": 90}})
    assert rubric_changes(old, new).thresholds == (
        ("dependency_risk_at", 60, 55),
        ("risk_bands.severe", None, 90),
    )


def test_a_scale_change_is_noticed_and_empty_data_compares():
    assert rubric_changes(version(scale=(0, 4)), version(scale=(1, 5))).scale_changed
    changes = rubric_changes(version(classification={}), version(classification={"leverage_at": 50}))
    assert changes.thresholds == (("leverage_at", None, 50),)
