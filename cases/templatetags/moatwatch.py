"""Presentation helpers for reader pages (formatting only, no rules)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import template
from django.utils.dateformat import format as format_date
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.http import absolute_url
from evaluations import evidence, scoring

register = template.Library()

_PRECISION_FORMATS = {"day": "j M Y", "month": "M Y", "year": "Y"}


@register.simple_tag
def partial_date(value: date | None, precision: str = "day") -> str:
    """A date shown only as precisely as it was reported (``Feb 2023``)."""
    if value is None:
        return "undated"
    return format_date(value, _PRECISION_FORMATS.get(precision, "j M Y"))


@register.filter
def usd(value: int | None) -> str:
    """Dollars in the units a reader scans: $40B, $650M."""
    if value is None:
        return ""
    amount = Decimal(value)
    for unit, size in (("T", 10**12), ("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if amount >= size:
            figure = (amount / size).quantize(Decimal("0.1")).normalize()
            return f"${figure:f}{unit}"
    return f"${amount:f}"


@register.simple_tag
def value_range(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return "undisclosed"
    if high is None:
        return f"{usd(low)}+"
    if low is None:
        return f"up to {usd(high)}"
    return usd(low) if low == high else f"{usd(low)}\u2013{usd(high)}"


@register.filter
def basis(score) -> str:
    """What a score rests on: ``quoted``, ``source`` or ``nothing`` (``evaluations.evidence``)."""
    return evidence.score_basis(score)


@register.filter
def label(code: str | None) -> str:
    """``dependency_risk`` to ``dependency risk`` (the engine's labels)."""
    return scoring.label(code)


@register.filter
def selected(options: str, value: object) -> SafeString:
    """Mark the option of ``value`` selected in pre-rendered ``<option>``s (see selectors.archive_choices)."""
    if value in (None, ""):
        return mark_safe(options)  # noqa: S308 - rendered and escaped by selectors._options
    marker = f'<option value="{escape(value)}">'
    return mark_safe(options.replace(marker, marker[:-1] + " selected>", 1))  # noqa: S308


@register.filter
def absolute(path: str) -> str:
    """A path on the site's public address (SITE_URL): for canonical links and Open Graph, never the Host header."""
    return absolute_url(path)
