"""Server-drawn SVG charts (stand-ins, no database): bounded bars, every value printed, nothing unescaped."""

from __future__ import annotations

import re
from decimal import Decimal
from types import SimpleNamespace

from cases import charts


def widths(svg: str) -> list[float]:
    """The bars' widths in the wide layout (the chart is drawn twice: wide, and narrow for phones)."""
    wide = svg.split('class="chart chart-narrow', 1)[0]
    return [float(w) for w in re.findall(r'class="chart-bar [^"]*" x="\d+" y="[\d.]+" width="([\d.]+)"', wide)]


PLOT = charts.WIDTH - charts.LABEL_W - 70


def test_bars_are_proportional_and_clamped_to_the_plot():
    svg = charts.bar_chart(
        [charts.Group("g", [charts.Bar("half", 50, "a"), charts.Bar("over", 250, "b"), charts.Bar("neg", -5, "c")])],
        title="t",
        description="d",
        chart_id="c",
    )
    assert widths(svg) == [round(PLOT / 2, 1), float(PLOT), 0.0]


def test_every_value_is_printed_and_a_missing_one_says_so():
    svg = charts.bar_chart(
        [
            charts.Group(
                "g",
                [charts.Bar("a", Decimal("42.50"), "x"), charts.Bar("b", None, "y"), charts.Bar("c", 3, "z", unit="%")],
            )
        ],
        title="t",
        description="d",
        chart_id="c",
    )
    assert ">42.5<" in svg and ">not scored<" in svg and ">3%<" in svg
    assert widths(svg)[1] == 0.0


def test_text_is_escaped_and_the_chart_is_labelled():
    svg = charts.bar_chart(
        [charts.Group("<script>", [charts.Bar('a"b', 1, "x")])], title="T & U", description="D", chart_id="k"
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a&quot;b" in svg
    assert 'aria-labelledby="k-t k-d"' in svg and "T &amp; U" in svg


def test_an_empty_chart_is_still_a_valid_svg():
    svg = charts.bar_chart([], title="t", description="d", chart_id="e")
    assert svg.startswith("<svg") and svg.endswith("</svg>") and widths(svg) == []


def figure(name, leverage, workaround, dependency):
    return SimpleNamespace(
        organization=SimpleNamespace(name=name), leverage=leverage, workaround=workaround, dependency=dependency
    )


def test_the_risk_chart_draws_each_party_then_the_deal():
    summary = SimpleNamespace(
        party_figures=SimpleNamespace(all=lambda: [figure("Anthropic", 50, 25, 75), figure("xAI", None, 0, 10)]),
        risk_index=Decimal("77.5"),
        risk_band="high",
    )
    svg = charts.risk_chart(summary)
    assert svg.index("Anthropic") < svg.index("xAI") < svg.index("The deal")
    assert "risk-high" in svg and ">77.5<" in svg and ">not scored<" in svg
    no_band = charts.risk_chart(SimpleNamespace(party_figures=SimpleNamespace(all=list), risk_index=None, risk_band=""))
    assert "risk-none" in no_band


def test_the_exposure_chart_scales_counts_to_the_largest_and_labels_classifications():
    exposure = SimpleNamespace(
        suppliers=[{"slug": "xai", "name": "xAI", "share": 0.25}],
        classification_counts={"dependency_risk": 4, "mixed": 2},
        trend={"2024": {"mixed": 1}, "2025": {"dependency_risk": 3, "mixed": 1}},
    )
    svg = charts.exposure_chart(exposure)
    assert ">25%<" in svg and "dependency risk" in svg and "class-dependency_risk" in svg
    assert widths(svg) == [round(PLOT * 0.25, 1), float(PLOT), round(PLOT / 2, 1), round(PLOT / 4, 1), float(PLOT)]
    empty = charts.exposure_chart(SimpleNamespace(suppliers=[], classification_counts={}, trend={}))
    assert widths(empty) == []
