"""The crosswalk's rules, without a database: each mapping kind, each carry rule, validation, chains."""

from __future__ import annotations

import pytest

from evaluations import crosswalk as cw

OLD = (
    cw.CriterionInfo("distribution", True),
    cw.CriterionInfo("compute_access", True),
    cw.CriterionInfo("data_rights", True),
    cw.CriterionInfo("margin", True),
    cw.CriterionInfo("dependency", True),
    cw.CriterionInfo("exclusivity", False),
)
NEW = (
    cw.CriterionInfo("distribution", True),  # same
    cw.CriterionInfo("compute", True),  # renamed from compute_access
    cw.CriterionInfo("data_access", True),  # split from data_rights
    cw.CriterionInfo("data_licence", True),  # split from data_rights
    cw.CriterionInfo("lock_in", True),  # merged from margin + dependency
    cw.CriterionInfo("talent", True),  # new
)
SCALE = (0, 4)


def entries(*rows):
    return [cw.Entry(kind, tuple(old), tuple(new), rule) for kind, old, new, rule in rows]


def walk(*rows):
    mapped = entries(*rows)
    assert cw.validate(mapped, OLD, NEW) == []
    return cw.complete(mapped, OLD, NEW)


SCORES = {"distribution": 3, "compute_access": 2, "data_rights": 4, "margin": 1, "dependency": 4, "exclusivity": 2}


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([("same", ["distribution"], ["distribution"], "copy")], {"distribution": 3}),
        ([("renamed", ["compute_access"], ["compute"], "copy")], {"compute": 2}),
        ([("split", ["data_rights"], ["data_access", "data_licence"], "copy")], {"data_access": 4, "data_licence": 4}),
        ([("merged", ["margin", "dependency"], ["lock_in"], "average")], {"lock_in": 3}),  # 2.5 rounds half up
        ([("merged", ["margin", "dependency"], ["lock_in"], "max")], {"lock_in": 4}),
        ([("renamed", ["compute_access"], ["compute"], "unscored")], {}),
        ([("merged", ["margin", "dependency"], ["lock_in"], "unscored")], {}),
    ],
)
def test_each_kind_and_rule_carries_what_it_says(rows, expected):
    result = cw.carry(walk(*rows), SCORES, scale=SCALE, per_party=True)
    explicit_targets = {k for _, _, new, _ in rows for k in new}
    assert {k: v for k, v in result.values.items() if k in explicit_targets} == expected
    for key in expected:
        assert result.how[key][1] == rows[0][3]


def test_a_full_crosswalk_lists_what_it_could_not_carry():
    walked = walk(
        ("same", ["distribution"], ["distribution"], "copy"),
        ("renamed", ["compute_access"], ["compute"], "unscored"),
        ("split", ["data_rights"], ["data_access", "data_licence"], "copy"),
        ("merged", ["margin", "dependency"], ["lock_in"], "max"),
        ("new", [], ["talent"], "unscored"),
    )
    party = cw.carry(walked, SCORES, scale=SCALE, per_party=True)
    assert party.values == {"distribution": 3, "data_access": 4, "data_licence": 4, "lock_in": 4}
    assert party.how["lock_in"] == ("merged", "max", ("margin", "dependency"))
    assert sorted(party.not_carried) == [
        ("compute", "left unscored by the crosswalk"),
        ("talent", "new criterion: to be scored"),
    ]
    deal = cw.carry(walked, {"exclusivity": 2}, scale=SCALE, per_party=False)
    # Nobody mapped the per-deal criterion and the new version lacks it: dropped (implicitly).
    assert deal.values == {} and deal.not_carried == [("exclusivity", "dropped by the new version")]


def test_an_explicit_drop_and_a_missing_old_score():
    walked = walk(("dropped", ["margin"], [], "unscored"), ("renamed", ["dependency"], ["lock_in"], "copy"))
    result = cw.carry(walked, {"margin": 2}, scale=SCALE, per_party=True)
    assert ("margin", "dropped by the new version") in result.not_carried
    assert ("lock_in", "no score to carry") in result.not_carried


def test_a_merge_averages_the_scores_there_are():
    walked = walk(("merged", ["margin", "dependency"], ["lock_in"], "average"))
    assert cw.carry(walked, {"dependency": 3}, scale=SCALE).values["lock_in"] == 3
    assert cw.carry(walked, {"margin": 0, "dependency": 1}, scale=SCALE).values["lock_in"] == 1  # 0.5 up


def test_a_value_outside_the_new_scale_is_not_carried():
    walked = walk(("same", ["distribution"], ["distribution"], "copy"))
    result = cw.carry(walked, {"distribution": 4}, scale=(0, 3), per_party=True)
    assert "distribution" not in result.values
    assert ("distribution", "carried value 4 is outside the scale 0 to 3") in result.not_carried


def test_without_entries_scores_carry_by_key():
    walked = cw.complete([], OLD, NEW)
    result = cw.carry(walked, SCORES, scale=SCALE, per_party=True)
    assert result.values == {"distribution": 3}
    assert {k for k, _ in result.not_carried} >= {"compute_access", "compute", "talent"}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("same", ["compute_access"], ["compute"], "copy")], "same key"),
        ([("renamed", ["distribution"], ["distribution"], "copy")], "another key"),
        ([("split", ["data_rights"], ["data_access"], "copy")], "two or more"),
        ([("merged", ["margin"], ["lock_in"], "max")], "two or more criteria to one"),
        ([("merged", ["margin", "dependency"], ["lock_in"], "copy")], "takes average or take the maximum"),
        ([("dropped", ["margin"], [], "copy")], "takes leave unscored"),
        ([("new", [], ["talent"], "max")], "takes leave unscored"),
        ([("renamed", ["nope"], ["compute"], "copy")], "'nope' is not a criterion of the version mapped from"),
        ([("renamed", ["margin"], ["nope"], "copy")], "'nope' is not a criterion of this version"),
        (
            [("renamed", ["margin"], ["compute"], "copy"), ("renamed", ["dependency"], ["compute"], "copy")],
            "'compute' is already mapped by entry 1",
        ),
        (
            [("renamed", ["margin"], ["compute"], "copy"), ("renamed", ["margin"], ["talent"], "copy")],
            "'margin' is already mapped by entry 1",
        ),
        ([("renamed", ["exclusivity"], ["talent"], "copy")], "per party cannot map onto one scored once"),
    ],
)
def test_validation_refuses_bad_entries(rows, message):
    errors = cw.validate(entries(*rows), OLD, NEW)
    assert any(message in error for error in errors), errors


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be an object"),
        ({"from": "1", "entries": []}, "'from' must be the number"),
        ({"from": 1, "entries": {}}, "'entries' must be a list"),
        ({"from": 1, "entries": [{"kind": "moved"}]}, "kind must be one of"),
        ({"from": 1, "entries": [{"kind": "same", "from": "a", "to": ["a"]}]}, "'from' must be a list"),
        ({"from": 1, "entries": [{"kind": "same", "from": ["a"], "to": [1]}]}, "'to' must be a list"),
        ({"from": 1, "entries": [{"kind": "same", "from": ["a"], "to": ["a"], "rule": "sum"}]}, "rule must be one"),
        ({"from": 1, "entries": ["x"]}, "must be an object"),
    ],
)
def test_parse_refuses_bad_shapes(data, message):
    _, _, errors = cw.parse(data)
    assert any(message in e for e in errors), errors


def test_parse_defaults_the_rule_and_reads_nothing_as_by_key():
    assert cw.parse({}) == (None, [], [])
    number, parsed, errors = cw.parse({"from": 1, "entries": [{"kind": "merged", "from": ["a", "b"], "to": ["c"]}]})
    assert (number, errors) == (1, []) and parsed[0].rule == "average"
    assert parsed[0].as_data() == {"kind": "merged", "from": ["a", "b"], "to": ["c"], "rule": "average"}


def test_a_chain_follows_each_versions_crosswalk_and_falls_back_to_keys():
    v1 = cw.VersionInfo(1, SCALE, (cw.CriterionInfo("a", True), cw.CriterionInfo("b", True)))
    v2 = cw.VersionInfo(
        2,
        SCALE,
        (cw.CriterionInfo("c", True),),
        {"from": 1, "entries": [{"kind": "merged", "from": ["a", "b"], "to": ["c"], "rule": "max"}]},
    )
    v3 = cw.VersionInfo(
        3,
        (0, 4),
        (cw.CriterionInfo("d", True),),
        {"from": 2, "entries": [{"kind": "renamed", "from": ["c"], "to": ["d"], "rule": "copy"}]},
    )
    versions = {1: v1, 2: v2, 3: v3}
    steps = cw.chain(versions, 1, 3)
    assert len(steps) == 2
    result = cw.carry_chain(steps, {"a": 1, "b": 3}, per_party=True)
    assert result.values == {"d": 3} and result.how["d"] == ("renamed", "copy", ("a", "b"))
    assert cw.chain(versions, 3, 3) == []
    assert cw.carry_chain([], {"a": 2}).how == {"a": ("same", "copy", ("a",))}
    # v3 without a crosswalk: by key from v1 in one step, nothing carries.
    versions[3] = cw.VersionInfo(3, SCALE, v3.criteria)
    assert cw.carry_chain(cw.chain(versions, 1, 3), {"a": 1}).values == {}
    # A stored crosswalk that no longer validates reads as by key.
    broken = cw.VersionInfo(
        2, SCALE, v2.criteria, {"from": 1, "entries": [{"kind": "same", "from": ["z"], "to": ["c"]}]}
    )
    assert cw.version_crosswalk(broken, v1).entries[0].kind == "dropped"
