"""Comparing two versions: scores side by side, the narrative as a word diff (stand-ins, no database)."""

from __future__ import annotations

from types import SimpleNamespace

from evaluations.compare import compare_versions


def score(key: str, value: int, party: str | None = None, rationale: str = ""):
    party_row = SimpleNamespace(organization=SimpleNamespace(name=party)) if party else None
    return SimpleNamespace(
        criterion=SimpleNamespace(key=key),
        party=party_row,
        party_id=1 if party else None,
        value=value,
        rationale=rationale,
    )


def version(scores=(), narrative: str = "", verdict: str = ""):
    return SimpleNamespace(
        scores=SimpleNamespace(all=lambda: list(scores)), narrative=narrative, verdict=verdict, facts={}
    )


def test_identical_versions_change_nothing():
    a = version([score("dependency", 3, "Anthropic")], "Same text.", "v")
    b = version([score("dependency", 3, "Anthropic")], "Same text.", "v")
    comparison = compare_versions(a, b)
    assert comparison.changed_scores == ()
    assert [line.op for line in comparison.narrative] == ["equal"]
    assert not comparison.verdict_changed


def test_scores_pair_up_by_criterion_and_party():
    a = version([score("dependency", 3, "Anthropic"), score("dependency", 1, "xAI"), score("stopgap", 2)])
    b = version([score("dependency", 4, "Anthropic", "a rival owns the site"), score("dependency", 1, "xAI")])
    changes = {(c.criterion, c.party): c for c in compare_versions(a, b).scores}
    assert (changes[("dependency", "Anthropic")].before, changes[("dependency", "Anthropic")].after) == (3, 4)
    assert not changes[("dependency", "xAI")].changed
    removed = changes[("stopgap", "deal")]  # a per-deal score is the deal's
    assert (removed.before, removed.after, removed.changed) == (2, None, True)


def test_new_scores_come_after_the_old_ones_and_a_rationale_alone_is_a_change():
    a = version([score("margin", 2, "xAI", "thin")])
    b = version([score("lock_in", 3, "xAI"), score("margin", 2, "xAI", "thicker")])
    scores = compare_versions(a, b).scores
    assert [(s.criterion, s.before, s.after) for s in scores] == [("margin", 2, 2), ("lock_in", None, 3)]
    assert scores[0].changed and scores[0].rationale_after == "thicker"


def test_the_narrative_diff_keeps_every_word_in_order():
    before, after = "Anthropic gains compute now.", "Anthropic gains compute and a third supplier now."
    lines = compare_versions(version(narrative=before), version(narrative=after)).narrative
    assert " ".join(line.text for line in lines if line.op != "insert") == before
    assert " ".join(line.text for line in lines if line.op != "delete") == after
    assert [line.op for line in lines] == ["equal", "insert", "equal"]


def test_a_replacement_is_a_deletion_then_an_insertion_and_the_verdict_is_compared():
    comparison = compare_versions(
        version(narrative="low risk", verdict="a"), version(narrative="high risk", verdict="b")
    )
    assert [(line.op, line.text) for line in comparison.narrative] == [
        ("delete", "low"),
        ("insert", "high"),
        ("equal", "risk"),
    ]
    assert comparison.verdict_changed


def test_empty_narratives_compare():
    lines = compare_versions(version(narrative=""), version(narrative="New.")).narrative
    assert [line.op for line in lines] == ["insert"]  # nothing was there to delete
