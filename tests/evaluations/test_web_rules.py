"""The pure rules of the web of dependencies, on hand-built inputs whose answers are known."""

from __future__ import annotations

import io

import networkx as nx

from cases import graph
from evaluations import drift, paths, side_by_side
from evaluations.exposure import Deal, DealParty

A, B, C, D, E = 1, 2, 3, 4, 5
NAMES = {A: "Alpha Lab", B: "Bigcloud", C: "Bigcloud Compute", D: "Dcenter", E: "Equity Fund"}


def _p(org: int, role: str) -> DealParty:
    return DealParty(org, role, NAMES[org].lower().replace(" ", "-"), NAMES[org])


def _deal(case_id: int, types: tuple[str, ...], *parties: DealParty, year: int = 2025) -> Deal:
    return Deal(case_id=case_id, year=year, deal_types=types, parties=parties)


MEMBERS = {k: paths.Member(k, NAMES[k].lower().replace(" ", "-"), NAMES[k]) for k in NAMES}
WEB = [
    _deal(1, ("compute_lease",), _p(A, "customer"), _p(B, "provider")),
    _deal(2, ("cloud_commitment",), _p(A, "customer"), _p(C, "provider")),
    _deal(3, ("compute_lease",), _p(A, "customer"), _p(D, "provider")),
    # Two providers of one group in one deal: the group counts once, with the whole deal.
    _deal(4, ("compute_lease",), _p(A, "customer"), _p(B, "provider"), _p(C, "provider")),
    _deal(5, ("equity_investment",), _p(A, "investee"), _p(E, "investor"), _p(B, "investor")),
]


def test_control_groups_join_both_directions_and_are_named_by_the_top():
    groups = paths.control_groups([(C, B)], MEMBERS)
    assert groups[C].name == groups[B].name == "Bigcloud"
    # A chain: D merged into C, C subsidiary of B: all three under B.
    groups = paths.control_groups([(D, C), (C, B)], MEMBERS)
    assert {groups[n].organization_id for n in (B, C, D)} == {B}


def test_independent_paths_on_a_known_web():
    groups = paths.control_groups([(C, B)], MEMBERS)
    result = paths.compute(A, WEB, groups)
    compute = result["compute"]
    assert compute["count"] == 2  # Bigcloud (with its subsidiary) and Dcenter
    assert compute["suppliers"] == 3
    assert [(g["name"], g["deals"], g["share"]) for g in compute["groups"]] == [
        ("Bigcloud", 3, 0.75),
        ("Dcenter", 1, 0.25),
    ]
    assert [m["name"] for m in compute["groups"][0]["members"]] == ["Bigcloud", "Bigcloud Compute"]
    assert compute["hhi"] == 6250.0  # 75^2 + 25^2
    without = {w["name"]: (w["count"], w["hhi"]) for w in compute["without"]}
    assert without == {"Bigcloud": (1, 10000.0), "Dcenter": (1, 10000.0)}
    capital = result["capital"]
    assert capital["count"] == 2 and capital["hhi"] == 5000.0


def test_without_the_groups_the_names_count_separately():
    result = paths.compute(A, WEB, {})
    assert result["compute"]["count"] == 3
    # Deal 4 splits between B and C: B 1.5, C 1.5, D 1 of 4.
    assert result["compute"]["hhi"] == round(37.5**2 * 2 + 25**2, 1)


def test_a_group_link_changes_the_fingerprint():
    assert paths.groups_fingerprint(WEB, {}) != paths.groups_fingerprint(WEB, paths.control_groups([(C, B)], MEMBERS))


RULES = {
    "families": {"provider": ["provider"], "customer": ["customer", "licensee"], "investor": ["investor"]},
    "labels": {"provider": "a provider of compute", "customer": "a buyer", "investor": "an investor"},
    "min_deals_in_year": 2,
    "min_share_change": 0.25,
}


def test_drift_on_a_known_series():
    series = [(1, 2024, "customer"), (2, 2024, "licensee"), (3, 2025, "provider"), (4, 2025, "provider")]
    series += [(5, 2025, "provider"), (6, 2025, "customer"), (7, 2026, "provider")]
    result = drift.compute("Xco", series, RULES)
    assert [(y["year"], y["deals"], y["shares"]) for y in result["years"]] == [
        (2024, 2, {"customer": 1.0}),
        (2025, 4, {"customer": 0.25, "provider": 0.75}),
        (2026, 1, {"provider": 1.0}),
    ]
    # 2026 has too few deals for a line; 2025 shifts from buyer to provider.
    assert [line["text"] for line in result["lines"]] == [
        "In 2025 Xco appears more often as a provider of compute than as a buyer"
        " (75% of its deals that year, against 0% before)."
    ]


def test_drift_thresholds_are_data():
    series = [(1, 2024, "customer"), (2, 2024, "customer"), (3, 2025, "provider"), (4, 2025, "customer")]
    series += [(5, 2025, "provider"), (6, 2025, "provider")]
    assert drift.compute("Xco", series, RULES)["lines"]
    assert not drift.compute("Xco", series, {**RULES, "min_share_change": 0.8})["lines"]
    assert drift.rules()["min_share_change"] > 0  # the shipped file loads


def test_alignment_across_parties_and_rubric_versions():
    one = side_by_side.Sheet(
        slug="one",
        title="One",
        rubric_label="Rubric v1",
        criteria=[("compute", "Compute?"), ("data", "Data?")],
        scores=[
            side_by_side.ScoreRow("compute", "Beta", 2, "b"),
            side_by_side.ScoreRow("compute", "Alpha", 4, "a"),
            side_by_side.ScoreRow("data", "", 1, "deal"),
        ],
        parties=[("Alpha", "alpha", "customer"), ("Beta", "beta", "provider")],
    )
    two = side_by_side.Sheet(
        slug="two",
        title="Two",
        rubric_label="Rubric v2",
        criteria=[("compute", "Compute now?"), ("margins", "Margins?")],
        scores=[side_by_side.ScoreRow("compute", "Gamma", 3, "g")],
        parties=[("Gamma", "gamma", "customer"), ("Delta", "delta", "investor")],
    )
    rows = side_by_side.align([one, two])
    assert [(r["key"], r["name"]) for r in rows] == [
        ("compute", "Compute now?"),
        ("data", "Data?"),
        ("margins", "Margins?"),
    ]
    compute, data, margins = rows
    assert [[s.party for s in cell] for cell in compute["cells"]] == [["Alpha", "Beta"], ["Gamma"]]
    assert data["cells"][1] is None  # not in rubric v2
    assert margins["cells"][0] is None and margins["cells"][1] == []  # in v2, not scored


def test_similarity_says_why():
    base = dict(deal_type_names={"compute_lease": "compute lease"}, groups={}, figures=(5.0, 2.0, 6.0))
    target = side_by_side.Profile("t", "T", frozenset({"compute_lease"}), parties={1: "Anthropic", 2: "xAI"}, **base)
    close = side_by_side.Profile("c", "C", frozenset({"compute_lease"}), parties={1: "Anthropic", 3: "Z"}, **base)
    far = side_by_side.Profile(
        "f", "F", frozenset({"distribution"}), parties={9: "Q"}, deal_type_names={}, groups={}, figures=(None,) * 3
    )
    found = side_by_side.most_similar(target, [far, close])
    assert [(p.slug, reason) for p, _, reason in found] == [
        ("c", "also a compute lease; shares Anthropic; a close score profile")
    ]


def _small_graph() -> graph.Graph:
    orgs = {n: graph.Org(n, NAMES[n].lower().replace(" ", "-"), NAMES[n]) for n in NAMES}
    deals = [
        graph.DealRow(
            1, "one", "One", 2025, ("compute_lease",), "dependency_risk", 100, ((A, "customer"), (B, "provider"))
        ),
        graph.DealRow(
            2, "two", "Two", 2025, ("chip_supply",), "durable_leverage", None, ((A, "customer"), (B, "provider"))
        ),
        graph.DealRow(
            3, "three", "Three", 2024, ("licensing_acquihire",), "", None, ((C, "licensor"), (D, "licensee"))
        ),
    ]
    return graph.build(deals, orgs)


def test_graph_aggregates_edges_and_round_trips_through_graphml():
    built = _small_graph()
    data = graph.as_json(built)
    edges = {(e["source"], e["target"]): e for e in data["edges"]}
    first = edges[("bigcloud", "alpha-lab")]
    assert first["deals"] == 2 and first["flows"] == ["chips", "compute"] and first["value_usd"] == 100
    assert first["classification"] == "durable_leverage"  # a tie: the most recent deal's
    assert edges[("bigcloud-compute", "dcenter")]["flows"] == ["licences", "people"]
    parsed = nx.read_graphml(io.BytesIO(graph.as_graphml(built).encode()))
    assert set(parsed.nodes) == {n["id"] for n in data["nodes"]}
    assert parsed.edges["bigcloud", "alpha-lab"]["deals"] == 2
    assert parsed.nodes["alpha-lab"]["label"] == "Alpha Lab"


def test_graph_layout_is_stable_and_inside_the_box():
    a, b = _small_graph(), _small_graph()
    assert a.positions == b.positions
    assert all(0 <= x <= graph.WIDTH and 0 <= y <= graph.HEIGHT for x, y in a.positions.values())


def test_neighbourhood_and_collapse():
    orgs = {n: graph.Org(n, str(n), NAMES[n]) for n in NAMES}
    deals = [
        graph.DealRow(1, "1", "1", 2025, ("compute_lease",), "", None, ((A, "customer"), (B, "provider"))),
        graph.DealRow(2, "2", "2", 2025, ("compute_lease",), "", None, ((B, "customer"), (C, "provider"))),
        graph.DealRow(3, "3", "3", 2025, ("compute_lease",), "", None, ((C, "customer"), (D, "provider"))),
        graph.DealRow(4, "4", "4", 2025, ("compute_lease",), "", None, ((A, "customer"), (E, "provider"))),
    ]
    assert set(graph.build(deals, orgs, focus=A).nodes) == {A, B, C, E}  # two steps out, not three
    collapsed = graph.build(deals, orgs, groups={E: orgs[B]})
    assert E not in collapsed.nodes
    assert [(e.source, e.target, e.deals) for e in collapsed.edges if e.target == A] == [(B, A, 2)]
