"""The desk's case search: titles and slugs of every case, drafts included."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case


@pytest.fixture
def desk(client, editor):
    client.force_login(editor)
    return client


def titles(response) -> list[str]:
    return [case.title for case in response.context["page"]]


def test_the_desk_search_finds_a_draft_by_its_title(draft_case, desk):
    response = desk.get(reverse("desk-case-list"), {"q": "zanzibarquokka deal"})
    assert response.status_code == 200
    assert titles(response) == [draft_case.title]


def test_the_desk_search_finds_a_case_by_its_slug_and_only_by_title_or_slug(draft_case, desk):
    assert titles(desk.get(reverse("desk-case-list"), {"q": "secret-deal"})) == [draft_case.title]
    # Its summary names the word too; the desk's search promises titles and slugs, nothing else.
    Case.objects.filter(pk=draft_case.pk).update(title="Renamed")
    assert titles(desk.get(reverse("desk-case-list"), {"q": "summary"})) == []


def test_the_desk_search_finds_published_cases_and_says_what_it_searches(demo, desk):
    response = desk.get(reverse("desk-case-list"), {"q": "colossus"})
    assert [case.slug for case in response.context["page"]] == ["xai-anthropic-colossus-1"]
    assert b"Search titles and slugs" in response.content
    assert len(titles(desk.get(reverse("desk-case-list"), {"q": " "}))) == Case.objects.count()
