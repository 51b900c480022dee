"""One search corpus, run on whichever database the suite runs on (CI runs both).

The demo archive and a table of queries: multi-word queries in any order,
phrases, stemming, exclusions, ranking (a title match first) and the typo
suggestion. The archive page and the API must find the same cases.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cases import selectors
from cases.models import Case

pytestmark = pytest.mark.django_db
COLOSSUS = "xai-anthropic-colossus-1"
AMAZON = "amazon-anthropic"

# (query, cases that must be found, cases that must not, the case ranked first or None)
CORPUS = [
    ("anthropic amazon", {AMAZON}, {"microsoft-openai"}, None),
    ("amazon anthropic", {AMAZON}, {"microsoft-openai"}, None),
    ("Memphis Colossus", {COLOSSUS}, set(), COLOSSUS),
    ("colossus memphis", {COLOSSUS}, set(), COLOSSUS),
    ('"Memphis cluster"', {COLOSSUS}, set(), COLOSSUS),
    ('"cluster Memphis"', set(), {COLOSSUS}, None),  # a phrase keeps its order
    ("leasing", {COLOSSUS}, set(), None),  # the title says "leases"
    ("leased", {COLOSSUS}, set(), None),
    ("Colossus", {COLOSSUS}, set(), COLOSSUS),  # the title match ranks first
    ("colossus -memphis", set(), {COLOSSUS}, None),
    ("colossus or xylophonequokka", {COLOSSUS}, set(), None),
    ("xylophonequokka", set(), {COLOSSUS}, None),
    ("$8B", {AMAZON}, set(), None),
    ("?!", set(), {COLOSSUS}, None),  # no word at all: nothing, and no error
]


def _page_slugs(client, query: str) -> list[str]:
    response = client.get(reverse("home"), {"search": query})
    assert response.status_code == 200
    return re.findall(r'<article class="case-row">\s*<h3><a href="/cases/([^/]+)/">', response.content.decode())


def _api_slugs(client, query: str) -> set[str]:
    response = client.get("/api/v1/cases/", {"search": query, "page_size": 100})
    assert response.status_code == 200, response.content
    return {row["slug"] for row in response.json()["results"]}


@pytest.mark.parametrize(("query", "found", "absent", "first"), CORPUS, ids=[row[0] for row in CORPUS])
def test_search_corpus(client, demo, query, found, absent, first):
    page = _page_slugs(client, query)
    assert found <= set(page), (query, page)
    assert not absent & set(page), (query, page)
    if first:
        assert page[0] == first, (query, page)
    assert set(page) == _api_slugs(client, query), "the archive page and the API find the same cases"
    assert set(page) == set(selectors.case_search(Case.objects.published(), query).values_list("slug", flat=True))


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [("colosus", "colossus"), ("Memphis colosus", "Memphis colossus"), ("antropic amazon", "anthropic amazon")],
)
def test_typo_suggestion_from_the_indexed_vocabulary(client, demo, query, suggestion):
    assert selectors.case_search_suggestion(query) == suggestion
    html = client.get(reverse("home"), {"search": query}).content.decode()
    assert "0</strong> cases" in html
    assert "Did you mean" in html and f">{suggestion}</a>?" in html


def test_no_suggestion_when_nothing_is_close(demo):
    assert selectors.case_search_suggestion("xylophonequokka") is None
    assert selectors.case_search_suggestion("Colossus") is None  # spelled right


def test_no_results_says_what_to_try(client, demo):
    html = client.get(reverse("home"), {"search": "xylophonequokka", "risk_band": "high"}).content.decode()
    assert "No published case matches “xylophonequokka” with these filters." in html
    assert "check the spelling" in html and "search all cases" in html


def test_snippet_shows_the_passage_that_matched_with_every_term_marked(client, demo):
    html = client.get(reverse("home"), {"search": "Memphis cluster"}).content.decode()
    headline = re.search(r'<p class="headline">(.*?)</p>', html, re.S).group(1)
    assert "<mark>Memphis</mark>" in headline and "<mark>cluster</mark>" in headline


def test_suggestion_skips_words_gone_from_every_document(demo):
    from cases.models import SearchTerm

    SearchTerm.objects.create(word="colossal")  # left behind by a document that changed since
    assert selectors.case_search_suggestion("colossak") is None  # "colossal" would find nothing


def test_the_index_follows_the_documents(demo, editor, reviewer):
    from cases.facts import case_facts
    from evaluations.services import workflow

    def published_with_sources(case: Case, sources: list[dict]) -> None:
        # A published case's sources change through a version: in its draft's facts, public once it is published.
        draft = workflow.evaluation_version_start(case=case, by=editor)
        draft = workflow.evaluation_version_save(
            version=draft, by=editor, expected_lock=draft.lock_version, facts={"sources": sources}
        )
        workflow.evaluation_version_submit(version=draft, by=editor)
        workflow.evaluation_version_approve(version=draft, by=reviewer)

    case = Case.objects.get(slug=COLOSSUS)
    held = case_facts(case)["sources"]
    new = {
        "publisher": "Wire",
        "title": "Numbatology briefing",
        "url": "https://example.com/n",
        "published_on": None,
        "published_precision": "day",
        "claim": "",
    }
    published_with_sources(case, [*held, new])
    assert list(selectors.case_search(Case.objects.published(), "numbatology")) == [case]
    assert selectors.case_search_suggestion("numbatolgy") == "numbatology"
    published_with_sources(case, held)
    assert not selectors.case_search(Case.objects.published(), "numbatology").exists()
