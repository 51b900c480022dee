"""Revisions and the approve screen in headless Chromium, at desktop and phone widths.

Screenshots go to ``artifacts/screens/``: the revisions list, a comparison of two
revisions, and the review screen with its contributors and the changes since
the last review. Nothing scrolls sideways on a phone but the tables' own boxes.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cases.models import Case
from evaluations.services import workflow
from tests.support.browser import DESKTOP, PHONE, fits, shot, signed_in

pytestmark = pytest.mark.browser


@pytest.fixture
def resubmitted(demo_committed):
    """A version the reviewer edited and sent back, revised by the editor and resubmitted."""
    users = get_user_model().objects
    editor = users.create_user("desk-editor")
    editor.groups.add(Group.objects.get(name="Editors"))
    reviewer = users.create_user("desk-reviewer")
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    other = users.create_user("second-reviewer")
    other.groups.add(Group.objects.get(name="Reviewers"))
    case = Case.objects.get(slug="xai-anthropic-colossus-1")
    version = workflow.evaluation_version_start(case=case, by=editor)
    scores = [
        workflow.ScoreInput(
            criterion=s.criterion.key,
            party_id=s.party_id,
            value=1 if s.criterion.key == "compute_access" else s.value,
            rationale="Capacity arrives in phases." if s.criterion.key == "compute_access" else s.rationale,
        )
        for s in version.scores.select_related("criterion")
    ]
    version = workflow.evaluation_version_save(
        version=version, by=reviewer, expected_lock=version.lock_version, verdict="Compute now, a rival later.",
        scores=scores,
    )  # fmt: skip
    version = workflow.evaluation_version_submit(version=version, by=editor)
    version = workflow.evaluation_version_send_back(version=version, by=reviewer, comment="Say when it expires.")
    version = workflow.evaluation_version_save(
        version=version,
        by=editor,
        expected_lock=version.lock_version,
        narrative=version.narrative + "\n\nThe lease runs for two years, with an option to extend.",
        change_note="Term of the lease",
    )
    workflow.evaluation_version_submit(version=version, by=editor)
    return {"version": version, "reviewer": reviewer, "other": other}


@pytest.mark.parametrize("viewport, name", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_revisions_compare_and_the_approve_screen(live_server, browser, resubmitted, viewport, name):
    version = resubmitted["version"]
    # The reviewer who edited it: the changes since their review first, and no approve button.
    context, page = signed_in(browser, live_server, resubmitted["reviewer"], viewport)
    page.goto(f"{live_server.url}/desk/versions/{version.pk}/")
    assert page.locator("#since-review-h").inner_text() == "Changes since your last review"
    assert page.locator("text=Approve and publish").count() == 0
    assert "desk-editor, desk-reviewer" in page.locator(".notice", has_text="You contributed").inner_text()
    shot(page, f"desk-review-contributor-{name}")
    fits(page, viewport)
    context.close()
    # Another reviewer: the approve form says who contributed.
    context, page = signed_in(browser, live_server, resubmitted["other"], viewport)
    page.goto(f"{live_server.url}/desk/versions/{version.pk}/")
    form = page.locator("form", has_text="Approve and publish")
    assert "desk-editor, desk-reviewer" in form.inner_text()
    shot(page, f"desk-approve-contributors-{name}")
    fits(page, viewport)
    page.goto(f"{live_server.url}/desk/versions/{version.pk}/revisions/")
    assert page.locator("table.revisions tbody tr").count() == 3
    shot(page, f"desk-revisions-{name}")
    fits(page, viewport)
    page.goto(f"{live_server.url}/desk/versions/{version.pk}/revisions/compare/?a=1&b=3")
    assert page.locator(".score-changed").count() >= 1 and page.locator(".diff ins").count() >= 1
    shot(page, f"desk-revision-compare-{name}")
    fits(page, viewport)
    context.close()
