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


def plain_blocks(text: str) -> list[str]:
    """The text a reader sees, block by block (paragraphs, headings, list items, quotes, code),
    without Markdown syntax: what a diff of the narrative compares."""
    blocks = []
    for token in _md.parse(text or ""):
        if token.type == "inline":
            parts = []
            for child in token.children or []:
                if child.type in ("text", "code_inline"):
                    parts.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append(" ")
            blocks.append("".join(parts))
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content)
    return [block for block in blocks if block.strip()]
