"""The desk's busiest pages run a fixed number of queries, however many rows they show."""

from __future__ import annotations

import pytest
from django.test import Client

from cases.models import Case, Organization, Party, Source
from evaluations.services import workflow
from tests.support.content import checklist_cleared

COLOSSUS = "xai-anthropic-colossus-1"

# Session, user, and the user's group permissions (read once per request) are included, and the
# navigation's unread notifications (one count).
DASHBOARD_QUERIES = 14  # the review badges; the overdue publications are one aggregate
CASE_LIST_QUERIES = 10  # with the author and assignee filters' choices
VERSION_EDIT_QUERIES = 16  # with its revisions (who contributed), the scores' citations and the sources' numbers


@pytest.mark.parametrize("extra", [1, 5])
def test_dashboard(demo, editor, editor2, django_assert_num_queries, extra):
    for index, case in enumerate(Case.objects.order_by("pk")[: extra * 2]):
        version = workflow.evaluation_version_start(case=case, by=editor if index % 2 else editor2)
        if index % 2:
            checklist_cleared(version, editor)  # a demo case scored in part: complete it to submit
            workflow.evaluation_version_submit(version=version, by=editor)
    client = Client()
    client.force_login(editor)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get("/desk/")
    assert response.status_code == 200


@pytest.mark.parametrize("extra", [0, 10])
def test_case_list(demo, editor, django_assert_num_queries, extra):
    for index in range(extra):
        Case.objects.create(title=f"Draft {index}", slug=f"draft-{index}", summary="s", announced_on="2026-01-01")
    for case in Case.objects.order_by("pk")[: extra // 2]:
        workflow.evaluation_version_start(case=case, by=editor)
    client = Client()
    client.force_login(editor)
    with django_assert_num_queries(CASE_LIST_QUERIES):
        response = client.get("/desk/cases/")
    assert response.status_code == 200


@pytest.mark.parametrize("extra", [0, 4])
def test_version_edit_page(demo, editor, django_assert_num_queries, extra):
    case = Case.objects.get(slug=COLOSSUS)
    for index in range(extra):
        organization = Organization.objects.create(name=f"Extra {index}", slug=f"extra-{index}", kind="investor")
        Party.objects.create(case=case, organization=organization, role="investor", position=10 + index)
        Source.objects.create(case=case, publisher="P", title=f"T{index}", url=f"https://e.com/{index}")
    version = workflow.evaluation_version_start(case=case, by=editor)
    client = Client()
    client.force_login(editor)
    with django_assert_num_queries(VERSION_EDIT_QUERIES):
        response = client.get(f"/desk/versions/{version.pk}/edit/")
    assert response.status_code == 200
    assert response.content.decode().count('class="score-cell"') == 6 * (2 + extra)  # by party, or a grid from 4
