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


def _row_of(html: str, slug: str) -> str:
    start = html.index(f'<a href="/cases/{slug}/">')
    return html[start : html.index("</article>", start)]


def test_a_search_page_serves_its_rows_from_the_row_cache_in_a_fixed_number_of_queries(
    client, corpus, django_assert_num_queries
):
    """The rows are the plain archive's cached rows (their headline filled in when served): a warm
    search page reads no parties, deal types or verdicts, whatever the rows hold."""
    # Whether the search names an organization (its name, an alias), PostgreSQL's probe for a rare term,
    # the page, its headlines and the capped count: no row's parties, deal types or verdicts.
    warm_queries = 6 if connection.vendor == "postgresql" else 5
    client.get(reverse("home"))  # the plain archive caches the same rows
    with django_assert_num_queries(warm_queries):
        warm = client.get(reverse("home"), {"search": WORD}).content.decode()
    assert warm.count('<p class="headline">') == len(corpus)
    assert warm.count(f"<mark>{WORD}</mark>") >= len(corpus)
    with django_assert_num_queries(warm_queries):
        again = client.get(reverse("home"), {"search": WORD}).content.decode()
    assert again == warm
    # The plain archive shows no headline, from the same cached rows.
    assert '<p class="headline">' not in client.get(reverse("home")).content.decode()


def test_a_cached_search_row_shows_the_current_querys_headline(client, corpus):
    slug = corpus[len(corpus) // 2]
    document = CaseSearchDocument.objects.get(case__slug=slug)
    document.summary = f"{document.summary} A wombatword aside."
    document.save()
    if connection.vendor == "postgresql":
        CaseSearchDocument.objects.filter(pk=document.pk).update(vector=search._vector())
    first = _row_of(client.get(reverse("home"), {"search": WORD}).content.decode(), slug)
    assert f"<mark>{WORD}</mark>" in first and "<mark>wombatword</mark>" not in first
    second = _row_of(client.get(reverse("home"), {"search": "wombatword"}).content.decode(), slug)
    assert "<mark>wombatword</mark>" in second and f"<mark>{WORD}</mark>" not in second
    assert second.count('<p class="headline">') == 1
