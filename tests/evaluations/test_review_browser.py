"""The review loop in headless Chromium: the reviewer comments privately on a passage and sends
the draft back; the author sees the banner and the comment, replies, resolves it and resubmits;
the reviewer approves. Screenshots of the author's draft (banner and comment) at 1280 and 390 px
go to ``artifacts/screens/`` (``review-draft-*.png``)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from cases.models import Case
from evaluations.models import EvaluationVersion, ReviewComment
from evaluations.services import workflow
from tests.support.browser import DESKTOP, PHONE, shot
from tests.support.content import COLOSSUS

pytestmark = pytest.mark.browser


@pytest.fixture
def in_review(demo_committed):
    users = get_user_model().objects
    editor = users.create_user("loop-editor")
    editor.groups.add(Group.objects.get(name="Editors"))
    reviewer = users.create_user("loop-reviewer")
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    version = workflow.evaluation_version_start(case=Case.objects.get(slug=COLOSSUS), by=editor)
    version = workflow.evaluation_version_submit(version=version, by=editor)
    return {"version": version, "editor": editor, "reviewer": reviewer}


def _signed_in(browser, live_server, user, viewport):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context, context.new_page()


def test_the_review_loop(live_server, browser, in_review):
    version = in_review["version"]
    url = f"{live_server.url}/desk/versions/{version.pk}/"
    quote = re.search(r"[A-Za-z]+(?: [A-Za-z]+){3}", version.narrative).group(0)

    # The reviewer comments on a passage, is refused approval, and sends the draft back.
    context, page = _signed_in(browser, live_server, in_review["reviewer"], DESKTOP)
    page.goto(url)
    page.fill("#new-comment textarea[name=body]", "Which filing says so? Cite it in the text.")
    page.fill("#new-comment textarea[name=quote]", quote)
    with page.expect_navigation():
        page.click("#new-comment button[type=submit]")
    assert "1 review comment is not resolved" in page.inner_text(".approval-blocked")
    page.fill("textarea[name=comment] >> nth=-1", "One open question on the capacity, see my comment.")
    with page.expect_navigation():
        page.click("button:has-text('Send back to draft')")
    context.close()

    # The author: the badge on the dashboard, the banner and the comment on the draft.
    for viewport, size in ((DESKTOP, "1280"), (PHONE, "390")):
        context, page = _signed_in(browser, live_server, in_review["editor"], viewport)
        page.goto(f"{live_server.url}/desk/")
        assert "sent back" in page.inner_text("section[aria-labelledby=mine-h]")
        page.goto(url)
        banner = page.inner_text("#sent-back")
        assert "Sent back by loop-reviewer" in banner and "see my comment" in banner
        thread = page.locator(".review-thread").first
        assert quote in thread.inner_text() and "Which filing" in thread.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.locator("#sent-back").scroll_into_view_if_needed()
        shot(page, f"review-draft-{size}", full_page=False)
        page.locator(".review").scroll_into_view_if_needed()
        shot(page, f"review-comments-{size}", full_page=False)
        context.close()

    # The author replies, resolves and resubmits; the reviewer approves.
    context, page = _signed_in(browser, live_server, in_review["editor"], DESKTOP)
    page.goto(url)
    page.fill(".reply-form textarea", "Added the filing to the second paragraph.")
    with page.expect_navigation():
        page.click(".reply-form button")
    with page.expect_navigation():
        page.click(".review-thread button:has-text('Resolve')")
    assert "resolved by loop-editor" in page.inner_text(".review-thread")
    with page.expect_navigation():
        page.click("button:has-text('Submit for review')")
    context.close()
    assert ReviewComment.objects.get(parent=None).resolved_at is not None

    context, page = _signed_in(browser, live_server, in_review["reviewer"], DESKTOP)
    page.goto(url)
    with page.expect_navigation():
        page.click("button:has-text('Approve and publish')")
    context.close()
    assert EvaluationVersion.objects.get(pk=version.pk).state == EvaluationVersion.State.PUBLISHED
