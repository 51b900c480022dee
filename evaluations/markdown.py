"""Editors' Markdown, rendered and sanitized: no script reaches a reader."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

# Raw HTML in the source is not rendered at all; the sanitizer is the second wall.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "mark", "span", "del", "sup", "sub",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "mark": {"id", "class", "data-annotation"}, "span": {"class"}}


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def render(text: str) -> str:
    """Markdown to safe HTML."""
    return sanitize(_md.render(text or ""))
