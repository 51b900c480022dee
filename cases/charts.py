"""Charts drawn on the server as SVG: readable without JavaScript, styled by site.css.

Every value is also printed as text in the chart and in a table next to it;
colours come from CSS classes (the strict CSP forbids inline styles).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from evaluations import scoring

WIDTH = 640
LABEL_W = 170
BAR_H = 14
GAP = 4
GROUP_GAP = 16


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | Decimal | None
    css: str  # a class name: leverage, workaround, dependency, risk-high, share...
    maximum: float = 100.0
    unit: str = ""


@dataclass(frozen=True)
class Group:
    title: str
    bars: Sequence[Bar]


def _fmt(value: float | Decimal | None, unit: str) -> str:
    if value is None:
        return "not scored"
    number = f"{float(value):.1f}".rstrip("0").rstrip(".")
    return f"{number}{unit}"


NARROW_WIDTH = 340  # about a phone's column in CSS px, so 12-unit text draws at 12 px or more
NARROW_BAR_H = 12


def bar_chart(groups: Iterable[Group], *, title: str, description: str, chart_id: str) -> SafeString:
    """The chart twice: beside-the-label bars for wide screens, label-above-bar for phones (site.css picks)."""
    groups = list(groups)
    return mark_safe(  # noqa: S308 - both built with format_html
        _wide_chart(groups, title=title, description=description, chart_id=chart_id)
        + _narrow_chart(groups, title=title, description=description, chart_id=f"{chart_id}-narrow")
    )


def _svg_head(css: str, width: int, height: int, chart_id: str, title: str, description: str) -> SafeString:
    return format_html(
        '<svg class="chart {}" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t {}-d" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}-t">{}</title><desc id="{}-d">{}</desc>',
        css,
        width,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
    )


def _narrow_chart(groups: list[Group], *, title: str, description: str, chart_id: str) -> SafeString:
    """Each bar under its label, full width, its value at the end: drawn at phone size, not scaled down."""
    parts: list[str] = []
    y = 4
    value_w = 56
    plot_w = NARROW_WIDTH - value_w
    for group in groups:
        parts.append(format_html('<text class="chart-group" x="0" y="{}">{}</text>', y + 14, group.title))
        y += 24
        for bar in group.bars:
            share = 0.0 if bar.value is None else max(0.0, min(1.0, float(bar.value) / bar.maximum))
            parts.append(
                format_html(
                    '<text class="chart-label" x="0" y="{}">{}</text>'
                    '<rect class="chart-track" x="0" y="{}" width="{}" height="{}"></rect>'
                    '<rect class="chart-bar {}" x="0" y="{}" width="{}" height="{}"></rect>'
                    '<text class="chart-value" x="{}" y="{}">{}</text>',
                    y + 12,
                    bar.label,
                    y + 16,
                    plot_w,
                    NARROW_BAR_H,
                    bar.css,
                    y + 16,
                    round(share * plot_w, 1),
                    NARROW_BAR_H,
                    plot_w + 6,
                    y + 16 + NARROW_BAR_H - 1,
                    _fmt(bar.value, bar.unit),
                )
            )
            y += 16 + NARROW_BAR_H + 8
        y += 8
    head = _svg_head("chart-narrow", NARROW_WIDTH, y, chart_id, title, description)
    return mark_safe(head + "".join(parts) + "</svg>")  # noqa: S308 - every part is built with format_html


def _wide_chart(groups: list[Group], *, title: str, description: str, chart_id: str) -> SafeString:
    """Horizontal grouped bars, 0..maximum, each labelled with its value."""
    parts: list[str] = []
    y = 8
    plot_w = WIDTH - LABEL_W - 70
    for group in groups:
        parts.append(format_html('<text class="chart-group" x="0" y="{}">{}</text>', y + 12, group.title))
        y += 20
        for bar in group.bars:
            share = 0.0 if bar.value is None else max(0.0, min(1.0, float(bar.value) / bar.maximum))
            width = round(share * plot_w, 1)
            parts.append(
                format_html(
                    '<text class="chart-label" x="8" y="{}">{}</text>'
                    '<rect class="chart-track" x="{}" y="{}" width="{}" height="{}"></rect>'
                    '<rect class="chart-bar {}" x="{}" y="{}" width="{}" height="{}"></rect>'
                    '<text class="chart-value" x="{}" y="{}">{}</text>',
                    y + BAR_H - 3,
                    bar.label,
                    LABEL_W,
                    y,
                    plot_w,
                    BAR_H,
                    bar.css,
                    LABEL_W,
                    y,
                    width,
                    BAR_H,
                    LABEL_W + plot_w + 6,
                    y + BAR_H - 3,
                    _fmt(bar.value, bar.unit),
                )
            )
            y += BAR_H + GAP
        y += GROUP_GAP
    head = _svg_head("chart-wide", WIDTH, y, chart_id, title, description)
    return mark_safe(head + "".join(parts) + "</svg>")  # noqa: S308 - every part is built with format_html


def risk_groups(summary) -> list[Group]:
    """A case's risk summary: each party's three family figures, then the deal's risk index."""
    groups = [
        Group(
            figure.organization.name,
            [
                Bar("Durable leverage", figure.leverage, "leverage"),
                Bar("Temporary workaround", figure.workaround, "workaround"),
                Bar("Dependency risk", figure.dependency, "dependency"),
            ],
        )
        for figure in summary.party_figures.all()
    ]
    groups.append(
        Group("The deal", [Bar("Risk index", summary.risk_index, f"risk-{escape(summary.risk_band) or 'none'}")])
    )
    return groups


def risk_chart(summary) -> SafeString:
    """A case's risk summary as SVG (the same groups as its PNG, cases.chart_image)."""
    return bar_chart(
        risk_groups(summary),
        title="Risk summary",
        description="Per party: durable leverage, temporary workaround and dependency risk, 0 to 100; "
        "then the deal's risk index, 0 to 100. The same figures are in the table below.",
        chart_id="risk-chart",
    )


def exposure_chart(exposure, suppliers: list[dict] | None = None) -> SafeString:
    """An organization's compute suppliers by share, and its deals by classification.
    ``suppliers``: the bars to draw instead of all of them (the page's top ones and one for the rest)."""
    groups = []
    suppliers = (exposure.suppliers or []) if suppliers is None else suppliers
    if suppliers:
        groups.append(
            Group(
                "Compute suppliers (share of deals)",
                [
                    Bar(s.get("name", s.get("slug", "")), float(s.get("share", 0)) * 100, "share", unit="%")
                    for s in suppliers
                ],
            )
        )
    counts = exposure.classification_counts or {}
    if counts:
        top = max(counts.values()) or 1
        groups.append(
            Group(
                "Deals by classification",
                [
                    Bar(scoring.label(key), count, f"class-{key}", maximum=float(top))
                    for key, count in sorted(counts.items())
                ],
            )
        )
    trend = exposure.trend or {}
    if trend:
        totals = {year: sum(counts.values()) for year, counts in trend.items()}
        top = max(totals.values()) or 1
        groups.append(
            Group(
                "Deals per year",
                [Bar(str(year), total, "share", maximum=float(top)) for year, total in sorted(totals.items())],
            )
        )
    return bar_chart(
        groups,
        title="Exposure",
        description="Shares of compute supply by supplier, counts of deals by classification and deals per year; "
        "the same figures are listed beside the chart.",
        chart_id="exposure-chart",
    )


def drift_chart(result: dict) -> SafeString:
    """An organization's role families per year (``evaluations.drift``), as bars of percentages."""
    groups = [
        Group(
            title=str(year["year"]),
            bars=[
                Bar(label=family, value=round(share * 100, 1), css="share", unit="%")
                for family, share in sorted(year["shares"].items(), key=lambda item: -item[1])
            ],
        )
        for year in result["years"]
    ]
    return bar_chart(
        groups,
        title="Role per year",
        description="Share of the organization's deals in each role family, per year announced.",
        chart_id="drift-chart",
    )
