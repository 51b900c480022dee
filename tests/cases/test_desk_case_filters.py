"""The desk case list: search finds drafts (a draft version's new title too), and filters by
status, version author and needs re-evaluation, in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case
from evaluations import selectors
from evaluations.models import RiskSummary
from evaluations.services import review, workflow
from tests.cases.test_desk_query_counts import CASE_LIST_QUERIES

URL = reverse("desk-case-list")


@pytest.fixture
def desk(client, editor):
    client.force_login(editor)
    return client


def slugs(response) -> set[str]:
    return {case.slug for case in response.context["page"]}


def test_a_draft_version_that_retitles_a_published_case_is_found_by_its_new_title(published_case, editor, desk):
    version = workflow.evaluation_version_start(case=published_case, by=editor)
    workflow.evaluation_version_save(
        version=version, by=editor, expected_lock=version.lock_version, facts={"title": "Wombatxyz retitled"}
    )
    assert slugs(desk.get(URL, {"q": "wombatxyz"})) == {published_case.slug}
    # Only open versions: once it is discarded from the search's view (published), the case's title is the title.
    assert slugs(desk.get(URL, {"q": "nothing-like-it"})) == set()


def test_the_status_filter(draft_case, published_case, editor, reviewer, desk):
    version = workflow.evaluation_version_start(case=published_case, by=editor)
    assert slugs(desk.get(URL, {"status": "unpublished"})) == set(
        Case.objects.filter(status="draft").values_list("slug", flat=True)
    )
    assert draft_case.slug not in slugs(desk.get(URL, {"status": "published"}))
    assert slugs(desk.get(URL, {"status": "draft"})) == {published_case.slug}
    assert slugs(desk.get(URL, {"status": "in_review"})) == set()
    workflow.evaluation_version_submit(version=version, by=editor)
    assert slugs(desk.get(URL, {"status": "in_review"})) == {published_case.slug}
    assert slugs(desk.get(URL, {"status": "draft"})) == set()


def test_the_author_filter_and_its_choices(published_case, editor, editor2, desk):
    workflow.evaluation_version_start(case=published_case, by=editor2)
    assert slugs(desk.get(URL, {"author": editor2.pk})) == {published_case.slug}
    assert published_case.slug not in slugs(desk.get(URL, {"author": editor.pk}))
    assert (editor2.pk, "editor2") in selectors.desk_case_authors()
    page = desk.get(URL).content.decode()
    assert ">editor2</option>" in page


def test_the_assignee_filter_and_its_choices(published_case, draft_case, editor, editor2, reviewer, desk):
    """Cases with an open version assigned to that reviewer; a published (closed) one drops out."""
    draft = workflow.evaluation_version_start(case=published_case, by=editor2)
    review.review_assign(version=draft, by=editor2, reviewer=reviewer)
    assert slugs(desk.get(URL, {"assignee": reviewer.pk})) == {published_case.slug}
    assert slugs(desk.get(URL, {"assignee": editor.pk})) == set()
    assert selectors.desk_case_assignees() == [(reviewer.pk, "reviewer")]
    assert ">reviewer</option>" in desk.get(URL).content.decode()
    review.evaluation_version_discard(version=draft, by=reviewer)
    assert slugs(desk.get(URL, {"assignee": reviewer.pk})) == set()
    assert selectors.desk_case_assignees() == []


def test_the_needs_reevaluation_filter(demo, desk):
    summary = RiskSummary.objects.filter(case__status="published").select_related("case").first()
    RiskSummary.objects.update(needs_reevaluation=False)
    assert slugs(desk.get(URL, {"needs_reevaluation": "on"})) == set()
    RiskSummary.objects.filter(pk=summary.pk).update(needs_reevaluation=True)
    assert slugs(desk.get(URL, {"needs_reevaluation": "on"})) == {summary.case.slug}


def test_filters_combine_and_the_pager_keeps_them(demo, editor, desk):
    for index in range(55):
        Case.objects.create(title=f"Pagerfilter {index}", slug=f"pf-{index}", summary="s", announced_on="2026-01-01")
    response = desk.get(URL, {"q": "pagerfilter", "status": "unpublished"})
    assert response.context["page"].paginator.count == 55
    assert "q=pagerfilter&amp;status=unpublished&amp;page=2" in response.content.decode()
    assert desk.get(URL, {"q": "pagerfilter", "status": "published"}).context["page"].paginator.count == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"status": "nonsense"},
        {"author": "abc"},
        {"author": "999999"},
        {"assignee": "x"},
        {"q": "x" * 500},
        {"q": "a\x00b"},
    ],
)
def test_bad_filters_are_a_form_error_not_a_500(demo, desk, bad):
    response = desk.get(URL, bad)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert "not valid" in response.content.decode()


def test_every_filter_at_once_is_a_fixed_number_of_queries(demo, desk, editor, reviewer, django_assert_num_queries):
    RiskSummary.objects.filter(case__status="published").update(needs_reevaluation=True)
    case = Case.objects.filter(status="published").first()
    author = case.evaluation_versions.first().author_id
    version = workflow.evaluation_version_start(case=case, by=editor)
    review.review_assign(version=version, by=editor, reviewer=reviewer)
    query = {
        "q": case.title[:4],
        "status": "published",
        "author": author,
        "assignee": reviewer.pk,
        "needs_reevaluation": "on",
    }
    with django_assert_num_queries(CASE_LIST_QUERIES):
        response = desk.get(URL, query)
    assert response.status_code == 200 and case in response.context["page"]


def test_readers_cannot_list_desk_cases(client, reader, draft_case):
    client.force_login(reader)
    response = client.get(URL, {"q": "secret"})
    assert response.status_code == 403
    assert b"secret-deal" not in response.content
