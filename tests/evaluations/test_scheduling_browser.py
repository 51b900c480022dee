"""Scheduling and compare in real headless Chromium (issue 13, items 4 and 5).

A reviewer's approve form names the time zone and refuses a time past; a
scheduled version offers reschedule and unschedule; the public compare page
reads as prose with the changed passage marked. Screenshots at 1280 and
390 px go to ``artifacts/screens/`` (schedule-*.png, compare-prose-*.png).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from cases.models import Case
from evaluations.models import EvaluationVersion
from evaluations.services import workflow
from tests.support.accounts import user_make
from tests.support.browser import shot, signed_in
from tests.support.content import COLOSSUS

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(demo_committed):
    """A version in review on one case; on Colossus a second published version with one changed passage."""
    editor, reviewer = user_make("sched-editor", "Editors"), user_make("sched-reviewer", "Reviewers")
    colossus = Case.objects.get(slug=COLOSSUS)
    draft = workflow.evaluation_version_start(case=colossus, by=editor)
    narrative = draft.narrative.replace("\n", "\r\n")  # as a browser sends it: must not show as a change
    first = narrative.split("\r\n\r\n")[0]
    narrative = narrative.replace(first, first + " The lease runs **two years**, not one.", 1)
    draft = workflow.evaluation_version_save(
        version=draft, by=editor, expected_lock=draft.lock_version, narrative=narrative
    )
    workflow.evaluation_version_submit(version=draft, by=editor)
    workflow.evaluation_version_approve(version=draft, by=reviewer, correction_note="The lease length was missing.")
    other = Case.objects.published().exclude(pk=colossus.pk).order_by("slug").first()
    in_review = workflow.evaluation_version_submit(
        version=workflow.evaluation_version_start(case=other, by=editor), by=editor
    )
    return {
        "reviewer": reviewer,
        "in_review": in_review,
        "colossus": colossus,
        "numbers": (draft.number - 1, draft.number),
    }


def _overflowing(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
        .slice(0, 12).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
    )


@pytest.mark.parametrize("width, height, name", [(1280, 900, "desktop"), (390, 844, "phone")])
def test_approve_schedule_and_compare_in_a_browser(live_server, browser, scene, width, height, name):
    context, page = signed_in(browser, live_server, scene["reviewer"], {"width": width, "height": height})
    version = scene["in_review"]
    page.goto(f"{live_server.url}/desk/versions/{version.pk}/")
    label = page.locator("label[for=id_publish_at]")
    assert label.inner_text().startswith(f"Publish at ({settings.TIME_ZONE})")
    # A time past: refused with a message beside the field, nothing published.
    past = timezone.localtime(timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    page.fill("#id_publish_at", past)
    page.click("button:has-text('Approve and publish')")
    assert "has already passed" in page.locator("#id_publish_at_error").inner_text()
    page.locator("#id_publish_at").scroll_into_view_if_needed()
    shot(page, f"schedule-approve-refused-{name}")
    assert EvaluationVersion.objects.get(pk=version.pk).state == "in_review"
    # A time to come, with an offset: scheduled; the page offers reschedule and unschedule.
    later = (timezone.now() + timedelta(days=1)).astimezone(timezone.get_fixed_timezone(120))
    page.fill("#id_publish_at", later.strftime("%Y-%m-%d %H:%M+02:00"))
    page.click("button:has-text('Approve and publish')")
    page.wait_for_selector("text=will be published at")
    assert page.locator("button:has-text('Change the time')").count() == 1
    assert page.locator("button:has-text('Unschedule')").count() == 1
    shot(page, f"schedule-scheduled-{name}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, _overflowing(page)
    # The public compare page: prose, the one changed passage marked, no Markdown syntax.
    a, b = scene["numbers"]
    page.goto(f"{live_server.url}/cases/{scene['colossus'].slug}/compare/?a={a}&b={b}")
    narrative = page.locator("section[aria-labelledby=narrative-h]")
    assert narrative.locator("ins").all_inner_texts() == ["The lease runs two years, not one."]
    assert narrative.locator("del").count() == 0 and "**" not in narrative.inner_text()
    shot(page, f"compare-prose-{name}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
