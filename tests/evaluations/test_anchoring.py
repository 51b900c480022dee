"""Anchoring a note to a quote of the narrative: pure text, no database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from evaluations.anchoring import CONTEXT, context_for, locate

TEXT = "Anthropic gains compute. xAI gains revenue. Anthropic gains compute again, from a rival."


def test_a_quote_found_once_is_found_where_it_is():
    start, end = locate(TEXT, "xAI gains revenue")
    assert TEXT[start:end] == "xAI gains revenue"


def test_missing_or_empty_quotes_anchor_nowhere():
    assert locate(TEXT, "Google") is None
    assert locate(TEXT, "") is None
    assert locate("", "Anthropic") is None
    assert context_for(TEXT, "Google") == ("", "")


def test_the_surroundings_pick_between_repeated_quotes():
    quote = "Anthropic gains compute"
    first = TEXT.find(quote)
    second = TEXT.find(quote, first + 1)
    assert locate(TEXT, quote) == (first, first + len(quote))  # no context: the first
    assert locate(TEXT, quote, prefix="revenue. ", suffix=" again")[0] == second
    assert locate(TEXT, quote, suffix=".")[0] == first


def test_an_anchor_survives_an_edit_elsewhere():
    prefix, suffix = context_for(TEXT, "xAI gains revenue")
    edited = "A new opening paragraph. " + TEXT.replace("from a rival", "from a competitor")
    start, end = locate(edited, "xAI gains revenue", prefix, suffix)
    assert edited[start:end] == "xAI gains revenue"


def test_context_is_bounded_and_clipped_at_the_edges():
    long = "x" * 100 + "QUOTE" + "y" * 100
    prefix, suffix = context_for(long, "QUOTE")
    assert (len(prefix), len(suffix)) == (CONTEXT, CONTEXT)
    assert context_for("QUOTE", "QUOTE") == ("", "")
    assert context_for("ab QUOTE", "QUOTE") == ("ab ", "")


def test_overlapping_occurrences_are_all_candidates():
    assert locate("aaaa", "aa", prefix="a", suffix="a") == (1, 3)


@given(st.text(min_size=0, max_size=40), st.text(min_size=1, max_size=10), st.text(max_size=40))
def test_a_quote_with_its_own_context_is_found_exactly(before, quote, after):
    text = before + quote + after
    prefix, suffix = text[max(0, len(before) - CONTEXT) : len(before)], after[:CONTEXT]
    start, end = locate(text, quote, prefix, suffix)
    assert text[start:end] == quote
