"""The dependency graph: organizations as nodes, published deals as edges. Pure: no database.

The rule, stated once:

* Each published deal gives edges from its **supplying** parties (roles
  provider, investor, licensor, distributor) to its **receiving** parties
  (customer, investee, licensee, partner). A deal with only one side gives
  edges between every pair of its parties, in name order.
* What **flows** along an edge comes from the deal's types (``FLOWS``).
* Edges between the same two organizations add up: ``deals`` counts the
  deals, ``value_usd`` adds the lowest reported values where known, and the
  edge takes the **classification** most of its deals have (ties: the most
  recent deal's).
* With ``collapse``, each organization is replaced by the top of its control
  group (published relationships in force), and edges inside a group vanish.
* The layout is networkx's spring layout with a fixed seed, so that one graph
  always draws the same way; its coordinates are scaled to the SVG box, then
  spread until no two labels (each centred above its node) overlap.
* A node's size grows with the square root of its deal count (its weighted degree).

Bounds (issue 18: the web must draw in bounded time at any archive size).
The selectors choose which organizations to draw before any edge is built,
by **weight**: the published deals an organization is a party to (in the
neighbourhood: the deals it shares with the focus, or with the focus's
counterparties), then the lowest reported value of those deals, then id:

* ``MAX_NODES`` for the whole web (the heaviest organizations);
* ``FOCUS_STEP1`` counterparties one step from the focus (sharing a deal with
  it) and ``FOCUS_STEP2`` two steps out (sharing a deal with one of its
  counterparties), for an organization's neighbourhood;
* ``MAX_EDGES`` links drawn among the organizations kept: each one's heaviest
  link first, then the heaviest (the focus's own first, then most deals, then
  value); ``CASES_PER_EDGE`` case slugs listed per link (the most recent),
  while ``deals`` always counts them all.

The page, the JSON and the GraphML serve the same bounded graph and say what
was left out (``total_nodes``, ``total_edges``, the neighbourhood's step
totals); every deal remains in the archive and its export.
"""

from __future__ import annotations

import functools
import io
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

FLOWS = {
    "compute_lease": ("compute",),
    "cloud_commitment": ("compute",),
    "data_center_build": ("compute",),
    "chip_supply": ("chips",),
    "equity_investment": ("capital",),
    "joint_venture": ("capital",),
    "distribution": ("distribution",),
    "licensing_acquihire": ("licences", "people"),
}
FLOW_NAMES = ("compute", "capital", "distribution", "chips", "licences", "people")
SUPPLYING = frozenset({"provider", "investor", "licensor", "distributor"})
# Legibility sets these, not speed: beyond about forty labelled nodes in the 960 x 720 box, labels
# of synthetic-length names can no longer be spread apart (checked on the 100,000-case archive).
MAX_NODES = 40
FOCUS_STEP1 = 24
FOCUS_STEP2 = 12
MAX_EDGES = 120
CASES_PER_EDGE = 20
LAYOUT_SEED = 7
WIDTH, HEIGHT, MARGIN = 960, 720, 70
LABEL_CHAR_PX, LABEL_HEIGHT_PX, LABEL_GAP_PX = 7.4, 17.0, 6.0  # 13 px semibold system-ui, as site.css draws it
DECLUTTER_ROUNDS = 300


@dataclass(frozen=True)
class Org:
    id: int
    slug: str
    name: str
    public: bool = True  # has a page (a party to a published case)


@dataclass(frozen=True)
class DealRow:
    case_id: int
    slug: str
    title: str
    year: int
    deal_types: tuple[str, ...]
    classification: str
    value_low_usd: int | None
    parties: tuple[tuple[int, str], ...]  # (organization id, role)


@dataclass
class Edge:
    source: int
    target: int
    flows: set[str] = field(default_factory=set)
    deals: int = 0
    value_usd: int | None = None
    classifications: Counter = field(default_factory=Counter)
    latest: tuple[int, int, str] = (0, 0, "")  # (year, case id, classification)
    cases: list[str] = field(default_factory=list)

    @property
    def classification(self) -> str:
        if not self.classifications:
            return "unclassified"
        top = max(self.classifications.values())
        leaders = {c for c, n in self.classifications.items() if n == top}
        return self.latest[2] if self.latest[2] in leaders else sorted(leaders)[0]


@dataclass
class Graph:
    nodes: dict[int, Org]
    edges: list[Edge]
    total_nodes: int
    positions: dict[int, tuple[float, float]] = field(default_factory=dict)
    total_edges: int = 0  # links among the nodes kept, before MAX_EDGES
    # The neighbourhood's steps: (shown, total) one step and two steps out; None for the whole web.
    steps: tuple[tuple[int, int], tuple[int, int]] | None = None
    key: str = ""  # its cache key (set by the selector): the page's drawing and table are cached under it too

    @property
    def nodes_left_out(self) -> int:
        return max(0, self.total_nodes - len(self.nodes))

    @property
    def edges_left_out(self) -> int:
        return max(0, self.total_edges - len(self.edges))


Weight = tuple[int, int]  # (published deals, their lowest reported values added up)


def bounds_key() -> str:
    """The bounds in force, for cache keys: a graph drawn under other bounds is another graph."""
    return f"{MAX_NODES}.{FOCUS_STEP1}.{FOCUS_STEP2}.{MAX_EDGES}.{CASES_PER_EDGE}"


def heaviest(weights: dict[int, Weight], n: int) -> list[int]:
    """The ``n`` heaviest nodes: most deals, then most value, then lowest id (deterministic)."""
    return sorted(weights, key=lambda node: (-weights[node][0], -weights[node][1], node))[:n]


def deal_edges(deal: DealRow) -> list[tuple[int, int]]:
    supplying = sorted({org for org, role in deal.parties if role in SUPPLYING})
    receiving = sorted({org for org, role in deal.parties if role not in SUPPLYING} - set(supplying))
    if supplying and receiving:
        return [(s, r) for s in supplying for r in receiving]
    everyone = sorted({org for org, _ in deal.parties})
    return [(a, b) for i, a in enumerate(everyone) for b in everyone[i + 1 :]]


@functools.cache
def _flows(deal_types: tuple[str, ...]) -> frozenset[str]:
    return frozenset(flow for t in deal_types for flow in FLOWS.get(t, ()))


def build(
    deals: Iterable[DealRow],
    organizations: dict[int, Org],
    *,
    groups: dict[int, Org] | None = None,
    max_nodes: int = MAX_NODES,
    focus: int | None = None,
    radius: int = 2,
    keep: set[int] | None = None,
    total_nodes: int | None = None,
    max_edges: int | None = None,
) -> Graph:
    """Aggregate deals into edges; keep ``keep`` (chosen by the selectors by weight), else a neighbourhood
    of ``focus`` or the ``max_nodes`` most connected; draw at most ``max_edges`` links."""
    groups = groups or {}
    nodes = dict(organizations)
    for org in groups.values():
        nodes.setdefault(org.id, org)
    merged: dict[tuple[int, int], Edge] = {}
    for deal in deals:
        seen_pairs = set()
        flows = None
        label = deal.classification or "unclassified"
        for a, b in deal_edges(deal):
            a = groups[a].id if a in groups else a
            b = groups[b].id if b in groups else b
            if a == b or (a, b) in seen_pairs or (keep is not None and (a not in keep or b not in keep)):
                continue
            seen_pairs.add((a, b))
            edge = merged.get((a, b))
            if edge is None:  # built only when new: this loop runs for every pair of every deal
                edge = merged[(a, b)] = Edge(a, b)
            if flows is None:
                flows = _flows(deal.deal_types)
            edge.flows.update(flows)
            edge.deals += 1
            if deal.value_low_usd is not None:
                edge.value_usd = (edge.value_usd or 0) + deal.value_low_usd
            edge.classifications[label] += 1
            edge.latest = max(edge.latest, (deal.year, deal.case_id, label))
            if len(edge.cases) < CASES_PER_EDGE:
                edge.cases.append(deal.slug)
    edges = list(merged.values())
    max_edges = MAX_EDGES if max_edges is None else max_edges
    if keep is not None:
        focus = groups[focus].id if focus in groups else focus
        return _bounded(edges, {n: nodes[n] for n in keep if n in nodes}, total_nodes, max_edges, focus)
    undirected = nx.Graph()
    for edge in edges:
        weight = undirected.get_edge_data(edge.source, edge.target, {"weight": 0})["weight"]
        undirected.add_edge(edge.source, edge.target, weight=weight + edge.deals)
    total = undirected.number_of_nodes()
    if focus is not None:
        focus = groups[focus].id if focus in groups else focus
        keep = set(nx.ego_graph(undirected, focus, radius=radius)) if focus in undirected else {focus}
    else:
        degree = dict(undirected.degree(weight="weight"))
        keep = set(sorted(degree, key=lambda n: (-degree[n], nodes[n].name.casefold(), n))[:max_nodes])
    kept_edges = [e for e in edges if e.source in keep and e.target in keep]
    return _bounded(kept_edges, {n: nodes[n] for n in keep if n in nodes}, total, max_edges, focus)


def _bounded(
    edges: list[Edge], nodes: dict[int, Org], total_nodes: int | None, max_edges: int, focus: int | None = None
) -> Graph:
    """``max_edges`` links, laid out: each organization's heaviest link first (so that none drawn floats
    alone when it has one), then the heaviest; heaviest = the focus's own first, then most deals, then
    value, then names."""
    edges.sort(
        key=lambda e: (
            focus not in (e.source, e.target),
            -e.deals,
            -(e.value_usd or 0),
            nodes[e.source].name.casefold(),
            nodes[e.target].name.casefold(),
        )
    )
    rank = {id(edge): i for i, edge in enumerate(edges)}
    chosen: list[Edge] = []
    covered: set[int] = set()
    for edge in edges:
        if len(chosen) < max_edges and (edge.source not in covered or edge.target not in covered):
            chosen.append(edge)
            covered.update((edge.source, edge.target))
    taken = {id(edge) for edge in chosen}
    chosen += [edge for edge in edges if id(edge) not in taken][: max(0, max_edges - len(chosen))]
    chosen.sort(key=lambda edge: rank[id(edge)])
    graph = Graph(
        nodes=nodes,
        edges=chosen,
        total_nodes=len(nodes) if total_nodes is None else total_nodes,
        total_edges=len(edges),
    )
    graph.positions = layout(graph)
    return graph


def layout(graph: Graph) -> dict[int, tuple[float, float]]:
    """Spring layout, seeded: the same graph always gets the same picture. Scaled into the SVG box."""
    g = nx.Graph()
    g.add_nodes_from(sorted(graph.nodes))
    for edge in graph.edges:
        # Attraction grows with the log of the deal count: links of thousands of deals (a busy
        # synthetic web) would otherwise pull every heavy counterparty into one knot.
        g.add_edge(edge.source, edge.target, weight=1.0 + math.log(edge.deals))
    if not g.number_of_nodes():
        return {}
    if g.number_of_nodes() == 1:
        return {next(iter(g.nodes)): (WIDTH / 2, HEIGHT / 2)}
    # Separate components would fly apart and squeeze the rest into a corner: tie each one loosely
    # to the largest, for the layout only.
    components = sorted(nx.connected_components(g), key=lambda c: (-len(c), min(c)))
    hub = max(components[0], key=lambda n: (g.degree(n), -n))
    for component in components[1:]:
        g.add_edge(hub, max(component, key=lambda n: (g.degree(n), -n)), weight=0.5)
    # ForceAtlas2 with hubs pushed out and each node as wide as its label: a dense family of deals
    # (one hub deal among six organizations) spreads instead of knotting in the centre.
    sizes = {n: label_width(graph.nodes[n].name) / 60 if n in graph.nodes else 0.5 for n in g.nodes}
    raw = nx.forceatlas2_layout(
        g,
        seed=LAYOUT_SEED,
        max_iter=400 if g.number_of_nodes() <= 60 else 200,  # the largest webs: as long as the spring layout took
        scaling_ratio=4.0,
        gravity=1.5,
        distributed_action=True,
        node_size=sizes,
        weight="weight",
    )
    xs = [float(p[0]) for p in raw.values()]
    ys = [float(p[1]) for p in raw.values()]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    scaled = {
        node: (
            MARGIN + (float(p[0]) - min(xs)) / span_x * (WIDTH - 2 * MARGIN),
            MARGIN / 2 + (float(p[1]) - min(ys)) / span_y * (HEIGHT - 1.5 * MARGIN),
        )
        for node, p in raw.items()
    }
    degrees = node_degrees(graph)
    boxes = {n: (label_width(graph.nodes[n].name), radius(degrees.get(n, 0))) for n in scaled if n in graph.nodes}
    spread = declutter(scaled, boxes)
    return {node: (round(x, 1), round(y, 1)) for node, (x, y) in spread.items()}


def node_degrees(graph: Graph) -> dict[int, int]:
    """Each node's deal count: the deals on its edges."""
    degrees: Counter = Counter()
    for edge in graph.edges:
        degrees[edge.source] += edge.deals
        degrees[edge.target] += edge.deals
    return dict(degrees)


def radius(deals: int, *, focus: bool = False) -> float:
    return round(min(14.0, 4.0 + 2.2 * deals**0.5) + (3.0 if focus else 0.0), 1)


def label_width(name: str) -> float:
    return len(name) * LABEL_CHAR_PX + 2 * LABEL_GAP_PX


def declutter(
    positions: dict[int, tuple[float, float]], sizes: dict[int, tuple[float, float]], rounds: int = DECLUTTER_ROUNDS
) -> dict[int, tuple[float, float]]:
    """Push apart nodes whose areas (the circle, and its label centred above it) overlap, inside the SVG box.

    Each round every overlapping pair moves apart along the shorter way out, all
    pairs at once (numpy: 150 nodes cost milliseconds a round). Deterministic
    (nodes in id order, ties broken by id), so the same graph keeps its picture.
    """
    order = sorted(n for n in positions if n in sizes)
    if len(order) < 2:
        return dict(positions)
    xy = np.array([positions[n] for n in order], dtype=float)
    width = np.array([sizes[n][0] for n in order])
    r = np.array([sizes[n][1] for n in order])
    half = np.maximum(width / 2, r + LABEL_GAP_PX)
    above, below = r + LABEL_HEIGHT_PX + LABEL_GAP_PX, r + LABEL_GAP_PX
    index = np.arange(len(order))
    ties = np.sign(index[:, None] - index[None, :])
    for _ in range(rounds):
        x, y = xy[:, 0], xy[:, 1]
        dx = np.minimum((x + half)[:, None], (x + half)[None, :]) - np.maximum((x - half)[:, None], (x - half)[None, :])
        dy = np.minimum((y + below)[:, None], (y + below)[None, :]) - np.maximum(
            (y - above)[:, None], (y - above)[None, :]
        )
        overlap = (dx > 0) & (dy > 0)
        np.fill_diagonal(overlap, False)
        if not overlap.any():
            break
        away_x = np.sign(x[:, None] - x[None, :])
        away_x = np.where(away_x == 0, ties, away_x)
        away_y = np.sign(y[:, None] - y[None, :])
        away_y = np.where(away_y == 0, ties, away_y)
        vertical = dy <= dx
        xy[:, 0] += np.where(overlap & ~vertical, away_x * (dx / 4 + 0.5), 0.0).sum(axis=1)
        xy[:, 1] += np.where(overlap & vertical, away_y * (dy / 4 + 0.5), 0.0).sum(axis=1)
        xy[:, 0] = np.clip(xy[:, 0], half + 4, WIDTH - half - 4)
        xy[:, 1] = np.clip(xy[:, 1], above + 4, HEIGHT - below - 4)
    return {n: (float(xy[i, 0]), float(xy[i, 1])) for i, n in enumerate(order)}


def _edge_width(deals: int) -> float:
    return round(min(8.0, 1.5 + 1.2 * (deals - 1)), 1)


def svg(graph: Graph, *, title: str, description: str, focus: int | None = None) -> SafeString:
    """The graph as inline SVG: edges coloured by classification (CSS classes), nodes labelled."""
    parts: list[str] = []
    pos = graph.positions
    degrees = node_degrees(graph)
    for edge in graph.edges:
        (x1, y1), (x2, y2) = pos[edge.source], pos[edge.target]
        # End the line at the target's rim, so that the arrowhead shows whatever the node's size.
        length = max(((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5, 1.0)
        rim = radius(degrees.get(edge.target, 0), focus=edge.target == focus) + 2
        x2, y2 = round(x2 - (x2 - x1) * rim / length, 1), round(y2 - (y2 - y1) * rim / length, 1)
        parts.append(
            format_html(
                '<line class="graph-edge class-{}" x1="{}" y1="{}" x2="{}" y2="{}" stroke-width="{}"'
                ' marker-end="url(#graph-arrow)"><title>{} → {}: {} ({} deal{})</title></line>',
                edge.classification,
                x1,
                y1,
                x2,
                y2,
                _edge_width(edge.deals),
                graph.nodes[edge.source].name,
                graph.nodes[edge.target].name,
                ", ".join(sorted(edge.flows)) or "other",
                edge.deals,
                "" if edge.deals == 1 else "s",
            )
        )
    for node_id in sorted(graph.nodes, key=lambda n: graph.nodes[n].name.casefold()):
        org = graph.nodes[node_id]
        x, y = pos[node_id]
        css = "graph-node focus" if node_id == focus else "graph-node"
        r = radius(degrees.get(node_id, 0), focus=node_id == focus)
        parts.append(
            format_html(
                '<g class="{}"><circle cx="{}" cy="{}" r="{}"></circle>'
                '<text class="graph-label" x="{}" y="{}" text-anchor="middle">{}</text></g>',
                css,
                x,
                y,
                r,
                x,
                round(y - r - LABEL_GAP_PX, 1),
                org.name,
            )
        )
    return format_html(
        '<svg class="graph" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-labelledby="graph-title'
        ' graph-desc"><title id="graph-title">{}</title><desc id="graph-desc">{}</desc>'
        '<defs><marker id="graph-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse"'
        ' markerWidth="11" markerHeight="11" orient="auto-start-reverse">'
        '<path class="graph-arrowhead" d="M 0 0 L 10 5 L 0 10 z"></path></marker>'
        "</defs>{}</svg>",
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        title,
        description,
        mark_safe("".join(parts)),  # noqa: S308 - each part escaped by format_html
    )


def as_json(graph: Graph) -> dict:
    return {
        "nodes": [
            {
                "id": org.slug or str(org.id),
                "name": org.name,
                "public_page": org.public,
                "x": graph.positions.get(node_id, (None, None))[0],
                "y": graph.positions.get(node_id, (None, None))[1],
            }
            for node_id, org in sorted(graph.nodes.items(), key=lambda item: item[1].name.casefold())
        ],
        "edges": [
            {
                "source": graph.nodes[e.source].slug,
                "target": graph.nodes[e.target].slug,
                "flows": sorted(e.flows),
                "deals": e.deals,
                "value_usd": e.value_usd,
                "classification": e.classification,
                "cases": e.cases,
            }
            for e in graph.edges
        ],
        "total_nodes": graph.total_nodes,
        "total_edges": graph.total_edges,
        "bounds": {
            "max_nodes": MAX_NODES,
            "focus_step1": FOCUS_STEP1,
            "focus_step2": FOCUS_STEP2,
            "max_edges": MAX_EDGES,
            "cases_per_edge": CASES_PER_EDGE,
        },
        "steps": (
            None
            if graph.steps is None
            else {
                "one_step": {"shown": graph.steps[0][0], "total": graph.steps[0][1]},
                "two_steps": {"shown": graph.steps[1][0], "total": graph.steps[1][1]},
            }
        ),
    }


def as_graphml(graph: Graph) -> str:
    """GraphML (for Gephi and similar tools), written by networkx."""
    g = nx.DiGraph()
    for org in graph.nodes.values():
        x, y = graph.positions.get(org.id, (0.0, 0.0))
        g.add_node(org.slug or str(org.id), label=org.name, x=float(x), y=float(y))
    for e in graph.edges:
        g.add_edge(
            graph.nodes[e.source].slug,
            graph.nodes[e.target].slug,
            flows=",".join(sorted(e.flows)),
            deals=e.deals,
            weight=float(e.deals),
            value_usd=float(e.value_usd) if e.value_usd is not None else -1.0,
            classification=e.classification,
            cases=",".join(e.cases),
        )
    buffer = io.BytesIO()
    nx.write_graphml(g, buffer, encoding="utf-8")
    return buffer.getvalue().decode("utf-8")
