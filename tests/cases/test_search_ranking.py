"""Ranked search stays meaningful when its work is bounded: the title match first, the rank
window (PostgreSQL) and the capped count, in a fixed number of queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse

from cases import search, selectors
from cases.models import Case, CaseSearchDocument

pytestmark = pytest.mark.django_db
WORD = "quokkaword"


def _slugs(html: str) -> list[str]:
    return re.findall(r'<article class="case-row">\s*<h3><a href="/cases/([^/]+)/">', html)


@pytest.fixture
def corpus(demo) -> list[str]:
    """Every published case mentions WORD in its summary; one of them, in the middle, in its title too."""
    documents = list(CaseSearchDocument.objects.order_by("case_id").select_related("case"))
    for document in documents:
        document.summary = f"{document.summary} A {WORD} passage."
    middle = documents[len(documents) // 2]
    middle.title = f"{middle.title} {WORD}"
    CaseSearchDocument.objects.bulk_update(documents, ["summary", "title"])
    if connection.vendor == "postgresql":
        CaseSearchDocument.objects.update(vector=search._vector())
    return [d.case.slug for d in documents]


def test_the_title_match_ranks_first(client, corpus, django_assert_num_queries):
    title_match = corpus[len(corpus) // 2]
    # The page's queries do not depend on how many cases match (cached rows aside: a search row has its headline);
    # two of them ask whether the search is an organization's name or alias.
    with django_assert_num_queries(13 if connection.vendor == "postgresql" else 12):
        html = client.get(reverse("home"), {"search": WORD}).content.decode()
    slugs = _slugs(html)
    assert slugs[0] == title_match
    assert sorted(slugs) == sorted(corpus)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the rank window bounds PostgreSQL's ts_rank")
def test_relevance_ranks_only_the_newest_matches_and_the_other_sorts_see_all(client, corpus, monkeypatch):
    monkeypatch.setattr(search, "RANK_WINDOW", 5)
    newest = corpus[-5:]
    html = client.get(reverse("home"), {"search": WORD}).content.decode()
    assert sorted(_slugs(html)) == sorted(newest)
    every = client.get(reverse("home"), {"search": WORD, "sort": "title"}).content.decode()
    assert sorted(_slugs(every)) == sorted(corpus)
    # The title match is ranked first as soon as it is in the window.
    monkeypatch.setattr(search, "RANK_WINDOW", len(corpus) - len(corpus) // 2)
    assert _slugs(client.get(reverse("home"), {"search": WORD}).content.decode())[0] == corpus[len(corpus) // 2]


def test_a_search_counts_its_matches_up_to_a_cap(client, corpus, monkeypatch):
    html = client.get(reverse("home"), {"search": WORD}).content.decode()
    assert f"<strong>{len(corpus)}</strong> cases matching" in html
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    html = client.get(reverse("home"), {"search": WORD}).content.decode()
    assert "More than <strong>3</strong> cases matching" in html
    # A filter counts up to the cap too (every match of a common filter is tens of thousands of rows)...
    html = client.get(reverse("home"), {"announced_after": "1900-01-01"}).content.decode()
    assert "More than <strong>3</strong> cases" in html
    # ...and the whole archive says its exact total (counted once per change of the published set).
    html = client.get(reverse("home"), {"sort": "title"}).content.decode()
    assert f"<strong>{Case.objects.published().count()}</strong> cases" in html
    assert "More than" not in html
