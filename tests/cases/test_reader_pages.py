"""The first reader pages: the home page and the case page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from cases.models import Case, Organization, Party
from evaluations.dbtriggers import frozen_writes_allowed
from evaluations.models import EvaluationVersion

COLOSSUS = "xai-anthropic-colossus-1"


def test_home_lists_the_sixteen_published_cases_with_parties_and_band(client, demo):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    for case in Case.objects.all():
        assert escape(case.title) in html
    assert "Anthropic" in html and "high risk" in html


def test_case_page_shows_the_colossus_numbers_and_sanitized_analysis(client, demo):
    response = client.get(reverse("case-detail", kwargs={"slug": COLOSSUS}))
    html = response.content.decode()
    assert response.status_code == 200
    assert "82.5" in html and "high risk" in html
    for figure in ("33.9", "75.0", "16.1", "50.0", "25.0", "dependency risk", "temporary workaround"):
        assert figure in html
    assert '<h2 id="section-what-each-side-gets">What each side gets</h2>' in html  # linked from the contents
    assert "512 Pixels" in html  # a source


def test_markdown_is_sanitized_on_the_case_page(client, demo):
    version = EvaluationVersion.objects.get(case__slug=COLOSSUS)
    with frozen_writes_allowed():  # a published version is frozen in the database; this test rewrites it
        EvaluationVersion.objects.filter(pk=version.pk).update(
            narrative="<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>"
        )
    html = client.get(reverse("case-detail", kwargs={"slug": COLOSSUS})).content.decode()
    assert "<script>alert(1)" not in html
    assert 'href="javascript:' not in html
    assert "<img" not in html


def test_draft_case_is_not_found_and_not_listed(client, demo):
    draft = Case.objects.create(title="Secret deal", slug="secret-deal", summary="hush", announced_on="2026-01-01")
    assert client.get(reverse("case-detail", kwargs={"slug": draft.slug})).status_code == 404
    assert "Secret deal" not in client.get(reverse("home")).content.decode()


def test_organization_page_lists_its_published_deals(client, demo):
    anthropic = Organization.objects.get(name="Anthropic")
    html = client.get(anthropic.get_absolute_url()).content.decode()
    for case in Case.objects.filter(parties__organization=anthropic):
        assert escape(case.title) in html


@pytest.mark.parametrize("extra_cases", [0, 10])
def test_home_query_count_does_not_grow_with_rows(client, demo, django_assert_num_queries, extra_cases):
    template = Case.objects.get(slug=COLOSSUS)
    for n in range(extra_cases):
        case = Case.objects.create(
            title=f"Extra {n}", slug=f"extra-{n}", summary="s", announced_on="2026-01-01", status="published"
        )
        case.deal_types.set(template.deal_types.all())
        for party in template.parties.all():
            Party.objects.create(case=case, organization=party.organization, role=party.role)
    with django_assert_num_queries(9):  # with the result count
        assert client.get(reverse("home")).status_code == 200
