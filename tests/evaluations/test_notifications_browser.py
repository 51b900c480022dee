"""The desk's notifications in headless Chromium: the unread count in the navigation, the list, mark read.

The editor's draft is sent back with a comment, resubmitted and published; another is sent back.
The editor sees the count on the desk, opens the list, marks one read, opens the version it is
about. Screenshots of the list at 1280 and 390 px go to ``artifacts/screens/``.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cases.models import Case
from evaluations.models import Notification
from evaluations.services import workflow
from tests.support.browser import DESKTOP, PHONE, fits, shot, signed_in
from tests.support.content import COLOSSUS

pytestmark = pytest.mark.browser


@pytest.fixture
def told(demo_committed):
    users = get_user_model().objects
    editor = users.create_user("notify-editor")
    editor.groups.add(Group.objects.get(name="Editors"))
    reviewer = users.create_user("notify-reviewer")
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    colossus = Case.objects.get(slug=COLOSSUS)
    version = workflow.evaluation_version_start(case=colossus, by=editor)
    version = workflow.evaluation_version_submit(version=version, by=editor)
    version = workflow.evaluation_version_send_back(
        version=version,
        by=reviewer,
        comment="The lease term is not in the sources you cite: quote the filing, or say it is reported.",
    )
    version = workflow.evaluation_version_submit(version=version, by=editor, comment="Quoted the filing.")
    workflow.evaluation_version_approve(version=version, by=reviewer)
    other = Case.objects.filter(status="published").exclude(pk=colossus.pk).order_by("slug").first()
    second = workflow.evaluation_version_start(case=other, by=editor)
    second = workflow.evaluation_version_submit(version=second, by=editor)
    second = workflow.evaluation_version_send_back(version=second, by=reviewer, comment="Score every party.")
    return {"editor": editor, "version": version, "second": second}


def test_the_author_reads_marks_and_follows_notifications(live_server, browser, told):
    editor = told["editor"]
    assert Notification.objects.filter(recipient=editor).count() == 3
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context, page = signed_in(browser, live_server, editor, viewport)
        page.goto(f"{live_server.url}/desk/")
        badge = page.locator("nav .badge")
        expected = "3" if name == "desktop" else "2"  # the desktop pass marks one read
        assert badge.inner_text().split()[0] == expected
        page.click("nav a:has-text('Notifications')")
        page.wait_for_url("**/desk/notifications/")
        items = page.locator("li.notification")
        assert items.count() == 3
        assert page.locator("li.notification.unread").count() == int(expected)
        assert "Score every party." in items.nth(0).inner_text()  # newest first
        shot(page, f"notifications-{name}")
        fits(page, viewport)
        if name == "desktop":
            with page.expect_navigation():
                items.nth(0).locator("button:has-text('Mark read')").click()
            assert page.locator("li.notification.unread").count() == 2
            assert page.locator("nav .badge").inner_text().split()[0] == "2"
        else:
            page.click("button:has-text('Mark all read')")
            page.wait_for_load_state()
            assert page.locator("li.notification.unread").count() == 0 and page.locator("nav .badge").count() == 0
            shot(page, "notifications-read-phone")
            page.locator("li.notification").nth(1).locator("a").first.click()
            page.wait_for_url(f"**/desk/versions/{told['version'].pk}/")
        context.close()
    assert not Notification.objects.filter(recipient=editor, read_at__isnull=True).exists()
