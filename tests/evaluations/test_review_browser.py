"""The review loop in headless Chromium (issue 15's walk): the editor submits with a missing score
and is stopped with the list; fills it in and submits; the reviewer comments privately on a
passage and sends the draft back; the author sees the banner and the comment, replies, resolves
it and resubmits; the reviewer reads the full preview and approves; the author finds the
notification on the desk and the email in the outbox. Screenshots of the author's draft (banner
and comment) at 1280 and 390 px go to ``artifacts/screens/`` (``review-draft-*.png``)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail

from cases.models import Case
from evaluations.models import EvaluationVersion, ReviewComment
from evaluations.services import workflow
from tests.support.browser import DESKTOP, PHONE, fits, shot, signed_in
from tests.support.content import COLOSSUS

pytestmark = pytest.mark.browser


@pytest.fixture
def in_review(demo_committed):
    users = get_user_model().objects
    editor = users.create_user("loop-editor", email="loop-editor@newsroom.example")
    editor.groups.add(Group.objects.get(name="Editors"))
    reviewer = users.create_user("loop-reviewer")
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    version = workflow.evaluation_version_start(case=Case.objects.get(slug=COLOSSUS), by=editor)
    missing = version.scores.select_related("criterion").filter(party__isnull=False).order_by("pk").first()
    missing.delete()  # the draft lacks one score: the checklist stops its submission
    return {"version": version, "editor": editor, "reviewer": reviewer, "missing": missing}


def test_the_review_loop(live_server, browser, in_review):
    version = in_review["version"]
    url = f"{live_server.url}/desk/versions/{version.pk}/"
    quote = re.search(r"[A-Za-z]+(?: [A-Za-z]+){3}", version.narrative).group(0)

    # The editor submits with a score missing: refused, with the list; fills it in, submits.
    missing = in_review["missing"]
    context, page = signed_in(browser, live_server, in_review["editor"], DESKTOP)
    page.goto(url)
    with page.expect_navigation():
        page.click("button:has-text('Submit for review')")
    blocking = page.inner_text(".checklist-blocking")
    assert "Criteria not scored (1)" in blocking
    assert f"{missing.criterion.key} ({missing.party.organization.name})" in blocking
    assert EvaluationVersion.objects.get(pk=version.pk).state == EvaluationVersion.State.DRAFT
    page.goto(f"{url}edit/")
    page.fill(f"#id_s-{missing.criterion.key}-{missing.party_id}-value", "2")
    with page.expect_navigation():
        page.click("button[name=save]")
    page.goto(url)
    with page.expect_navigation():
        page.click("button:has-text('Submit for review')")
    context.close()
    assert EvaluationVersion.objects.get(pk=version.pk).state == EvaluationVersion.State.IN_REVIEW

    # The reviewer comments on a passage, is refused approval, and sends the draft back.
    context, page = signed_in(browser, live_server, in_review["reviewer"], DESKTOP)
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
        context, page = signed_in(browser, live_server, in_review["editor"], viewport)
        page.goto(f"{live_server.url}/desk/")
        assert "sent back" in page.inner_text("section[aria-labelledby=mine-h]")
        page.goto(url)
        banner = page.inner_text("#sent-back")
        assert "Sent back by loop-reviewer" in banner and "see my comment" in banner
        thread = page.locator(".review-thread").first
        assert quote in thread.inner_text() and "Which filing" in thread.inner_text()
        fits(page, viewport)
        page.locator("#sent-back").scroll_into_view_if_needed()
        shot(page, f"review-draft-{size}", full_page=False)
        page.locator(".review").scroll_into_view_if_needed()
        shot(page, f"review-comments-{size}", full_page=False)
        context.close()

    # The author replies, resolves and resubmits; the reviewer approves.
    context, page = signed_in(browser, live_server, in_review["editor"], DESKTOP)
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

    # The reviewer reads the whole preview (what readers will see), then approves.
    context, page = signed_in(browser, live_server, in_review["reviewer"], DESKTOP)
    page.goto(f"{url}preview/")
    preview = page.inner_text("main")
    assert "Preview" in preview and "Risk summary" in preview and quote in preview
    page.goto(url)
    with page.expect_navigation():
        page.click("button:has-text('Approve and publish')")
    context.close()
    assert EvaluationVersion.objects.get(pk=version.pk).state == EvaluationVersion.State.PUBLISHED

    # The author is told: in the desk's notifications, and by email (the test outbox).
    context, page = signed_in(browser, live_server, in_review["editor"], DESKTOP)
    page.goto(f"{live_server.url}/desk/notifications/")
    assert "published" in page.inner_text(".notification.unread >> nth=0").lower()
    context.close()
    to_author = [m for m in mail.outbox if m.to == ["loop-editor@newsroom.example"]]
    assert any("published" in m.subject for m in to_author), [m.subject for m in mail.outbox]
    assert any(f"/desk/versions/{version.pk}/" in m.body for m in to_author)
