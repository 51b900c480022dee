"""Finding an annotation's quote in a narrative (pure text, no database).

An anchor is the exact quote plus a little text before (prefix) and after
(suffix). When the quote occurs more than once, the occurrence whose
surroundings match the prefix and suffix best wins, so an anchor survives
edits elsewhere in the text.
"""

from __future__ import annotations

CONTEXT = 32  # characters of prefix and suffix kept with a new anchor


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def locate(text: str, quote: str, prefix: str = "", suffix: str = "") -> tuple[int, int] | None:
    """Return (start, end) of the best occurrence of ``quote`` in ``text``, or None."""
    if not quote:
        return None
    best: tuple[int, int] | None = None
    best_score = -1
    start = text.find(quote)
    while start != -1:
        end = start + len(quote)
        score = _common_suffix(text[max(0, start - len(prefix)) : start], prefix) + _common_prefix(
            text[end : end + len(suffix)], suffix
        )
        if score > best_score:
            best, best_score = (start, end), score
        start = text.find(quote, start + 1)
    return best


def context_for(text: str, quote: str) -> tuple[str, str]:
    """Prefix and suffix for a new anchor on the first occurrence of ``quote``."""
    start = text.find(quote)
    if start == -1:
        return "", ""
    end = start + len(quote)
    return text[max(0, start - CONTEXT) : start], text[end : end + CONTEXT]


def occurrences(text: str, quote: str) -> list[int]:
    """Where ``quote`` starts in ``text``, every time (overlapping ones too)."""
    starts = []
    start = text.find(quote) if quote else -1
    while start != -1:
        starts.append(start)
        start = text.find(quote, start + 1)
    return starts


def matching(text: str, quote: str, prefix: str = "", suffix: str = "") -> list[int]:
    """The occurrences of ``quote`` with exactly ``prefix`` just before and ``suffix`` just after
    (an empty one matches anything): a new anchor must single out one of them."""
    return [
        start
        for start in occurrences(text, quote)
        if text[:start].endswith(prefix) and text[start + len(quote) :].startswith(suffix)
    ]


def context_at(text: str, start: int, end: int) -> tuple[str, str]:
    """Prefix and suffix for a new anchor on ``text[start:end]``."""
    return text[max(0, start - CONTEXT) : start], text[end : end + CONTEXT]
