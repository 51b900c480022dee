"""A reader's path through the demo data in real headless Chromium, with screenshots.

archive → filter by an organization → search a phrase → the Colossus 1 case
(annotations beside their passages, the chart) → its history → compare two
versions → Anthropic's organization page. Screenshots of the archive, the case
page and an organization page at desktop and phone widths go to
``artifacts/screens/``.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.support.browser import DESKTOP, PHONE, shot

pytestmark = pytest.mark.browser


@pytest.fixture
def second_version(demo_committed):
    """Publish version 2 of Colossus 1 through the services (superusers: this runs after a flush too)."""
    from cases.models import Case
    from evaluations.services import workflow

    user_model = get_user_model()
    writer = user_model.objects.create_superuser("writer", "w@example.com", "pw-writer-123456")
    approver = user_model.objects.create_superuser("approver", "a@example.com", "pw-approver-123456")
    case = Case.objects.get(slug="xai-anthropic-colossus-1")
    version = workflow.evaluation_version_start(case=case, by=writer)
    version = workflow.evaluation_version_save(
        version=version,
        by=writer,
        expected_lock=version.lock_version,
        narrative=version.narrative + "\n\nSince publication, the lease terms were confirmed in a filing.",
    )
    version = workflow.evaluation_version_submit(version=version, by=writer)
    return workflow.evaluation_version_approve(
        version=version, by=approver, correction_note="Added the filing that confirms the lease terms."
    )


def test_reader_path(live_server, browser, second_version):
    base = live_server.url
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    # The archive, then filtered by an organization through the form.
    page.goto(base + "/")
    assert page.locator("h1").inner_text() == "The archive"
    shot(page, "archive-desktop")
    page.select_option("#f-organization", "anthropic")
    page.click("button:has-text('Show cases')")
    assert "organization=anthropic" in page.url
    rows = page.locator("article.case-row")
    assert rows.count() >= 3
    for title in rows.locator("h3").all_inner_texts():
        assert title  # every row is an Anthropic deal, checked in the page tests

    # Search a phrase within that filter: ranked, highlighted.
    page.fill("#f-search", "Memphis cluster")
    page.click("button:has-text('Show cases')")
    assert "search=Memphis+cluster" in page.url and "organization=anthropic" in page.url
    first = page.locator("article.case-row").first
    assert "Colossus 1" in first.locator("h3").inner_text()
    assert first.locator("p.headline mark").count() >= 1

    # The case: annotations beside their passages, and the chart.
    first.locator("h3 a").click()
    page.wait_for_url("**/cases/xai-anthropic-colossus-1/")
    marks = page.locator("mark.anchor")
    assert marks.count() >= 2
    mark_box = marks.first.bounding_box()
    note_box = page.locator(".sidenote").first.bounding_box()
    assert note_box["x"] > mark_box["x"] + 200, "on a wide screen the note sits in the margin beside its passage"
    assert abs(note_box["y"] - mark_box["y"]) < 200
    chart = page.locator("svg.chart-wide")
    assert chart.is_visible() and chart.locator("rect.chart-bar").count() >= 7
    assert "Corrections" in page.locator(".corrections").inner_text()
    shot(page, "case-desktop")

    # History, then compare versions 1 and 2.
    page.click("a:has-text('History')")
    assert page.locator("h1").inner_text() == "History of the analysis"
    page.select_option("#cmp-a", "1")
    page.select_option("#cmp-b", "2")
    page.click("button:has-text('Compare')")
    assert "a=1" in page.url and "b=2" in page.url
    assert "confirmed in a filing" in page.locator(".diff ins").first.inner_text()

    # Anthropic's organization page, from the case's parties.
    page.goto(base + "/cases/xai-anthropic-colossus-1/")
    page.locator(".parties-list a", has_text="Anthropic").click()
    page.wait_for_url("**/organizations/anthropic/")
    assert page.locator("h1").inner_text() == "Anthropic"
    assert page.locator("svg.chart-wide").first.is_visible()
    shot(page, "organization-desktop")
    context.close()

    # The same three pages on a phone: notes sit under their passage.
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(base + "/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(page, "archive-phone")
    page.goto(base + "/cases/xai-anthropic-colossus-1/")
    assert not page.locator(".narrative .sidenote").first.is_visible(), "on a phone a note opens from its number"
    assert page.locator(".notes-list li").count() >= 2  # and all are listed under the analysis
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(page, "case-phone")
    page.goto(base + "/organizations/anthropic/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(page, "organization-phone")
    phone.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
