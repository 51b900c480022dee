"""Checks on rendered HTML that the trust tests (and later the desk and API tests) share."""

from __future__ import annotations

from html.parser import HTMLParser

# Inert <script> types: data blocks the browser never runs (the admin passes constants this way).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data", "srcset", "background"}


class _Scanner(HTMLParser):
    def __init__(self, *, untrusted: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.untrusted = untrusted

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        inline = tag == "script" and not attributes.get("src")
        if inline and (attributes.get("type") or "").lower() not in DATA_SCRIPT_TYPES:
            self.problems.append(f"inline <script> {attrs}")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.problems.append(f"event handler {name}= on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            if name in URL_ATTRIBUTES and "".join(value.split()).startswith(("javascript:", "vbscript:", "data:text")):
                self.problems.append(f"{name}={value[:40]!r} on <{tag}>")
        if self.untrusted and tag in {"script", "iframe", "object", "embed", "svg", "math", "base", "form", "style"}:
            self.problems.append(f"<{tag}> in untrusted content")


def unsafe_html(html: str, *, untrusted: bool = False, allow_style_attributes: bool = False) -> list[str]:
    """What in ``html`` could run script (inline script, handlers, script URLs); empty when inert.

    ``untrusted``: the HTML is an editor's rendered text, where active elements are never allowed.
    """
    scanner = _Scanner(untrusted=untrusted)
    scanner.feed(html)
    scanner.close()
    problems = scanner.problems
    if allow_style_attributes:
        problems = [p for p in problems if not p.startswith("style attribute")]
    return problems


class _Counter(HTMLParser):
    def __init__(self, tags: tuple[str, ...]) -> None:
        super().__init__(convert_charrefs=True)
        self.counts = dict.fromkeys(tags, 0)

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.counts:
            self.counts[tag] += 1


def tag_counts(html: str, tags: tuple[str, ...]) -> dict[str, int]:
    """How many of each of these elements the page holds (to compare with a page of harmless text)."""
    counter = _Counter(tags)
    counter.feed(html)
    counter.close()
    return counter.counts
