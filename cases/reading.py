"""Reading comfort on a case page: a reading-time estimate and a table of contents.

Works on the analysis block as rendered (sanitized HTML): the headings an
editor wrote (plain ``<h2>``-``<h4>`` from Markdown) get ids to link to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

WORDS_PER_MINUTE = 230
LONG_WORDS = 400  # an analysis this long, with at least two headings, gets a table of contents
_HEADING = re.compile(r"<h([2-4])>(.*?)</h\1>", re.S)


@dataclass(frozen=True)
class Outline:
    html: SafeString
    minutes: int
    words: int
    toc: tuple[tuple[str, str, int], ...]  # (id, text, level)


def outline(html: str) -> Outline:
    """The block with ids on its headings, its reading time, and a contents list when it is long."""
    words = len(strip_tags(html).split())
    entries: list[tuple[str, str, int]] = []
    seen: set[str] = set()

    def anchor(match: re.Match) -> str:
        level, inner = match.group(1), match.group(2)
        base = "section-" + (slugify(strip_tags(inner)) or "part")
        ident, n = base, 2
        while ident in seen:
            ident, n = f"{base}-{n}", n + 1
        seen.add(ident)
        entries.append((ident, strip_tags(inner), int(level)))
        return f'<h{level} id="{ident}">{inner}</h{level}>'

    marked = _HEADING.sub(anchor, html)  # the inner HTML is kept as sanitized; only our id is added
    long = words >= LONG_WORDS and len(entries) >= 2
    return Outline(
        html=mark_safe(marked),  # noqa: S308 - sanitized input, plus ids made by slugify
        minutes=max(1, round(words / WORDS_PER_MINUTE)),
        words=words,
        toc=tuple(entries) if long else (),
    )
