"""evaluations.scoring's reader labels (the rest: test_scoring_boundaries.py)."""

from __future__ import annotations

from evaluations import scoring


def test_label():
    assert scoring.label("dependency_risk") == "dependency risk"
    assert scoring.label("a_b_c") == "a b c"
    assert scoring.label(None) == ""
    assert scoring.label("") == ""
    assert scoring.Classification.TEMPORARY_WORKAROUND.label == "temporary workaround"
