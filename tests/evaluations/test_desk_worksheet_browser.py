"""The worksheet in real headless Chromium: paste, confirm the proposals, create the draft, try to submit it.

Screenshots of the paste page, the proposals and the created draft at 1280 px,
and of the proposals at 390 px, go to ``artifacts/screens/``.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cases.models import Case, Organization
from evaluations.models import EvaluationVersion
from tests.support.browser import DESKTOP, PHONE, shot

pytestmark = pytest.mark.browser

PASSWORD = "pw-worksheet-editor-123456"
RELEASE = (
    "Nimbus Compute Inc. will lease 150 megawatts of GPU capacity to Anthropic under a five-year contract, "
    "the companies announced on March 2, 2026. Anthropic will pay up to $4B over the term and may exit on "
    "180 days' notice. Nimbus Compute said the strategic partnership will be transformational for its "
    "customers, and Anthropic said the capacity comes online immediately to meet demand."
)


@pytest.fixture
def desk_editor(demo_committed):
    user = get_user_model().objects.create_user("ws-editor", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def _sign_in_and_read(page, base: str) -> None:
    page.goto(base + "/accounts/login/?next=/desk/worksheet/")
    page.fill("#id_username", "ws-editor")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/desk/worksheet/")
    page.fill("#id_text", RELEASE)
    page.fill("#id_url", "https://example.com/nimbus-anthropic")
    page.fill("#id_publisher", "Nimbus Compute (press release)")


def test_paste_to_submitted_draft(live_server, browser, desk_editor):
    base = live_server.url
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    _sign_in_and_read(page, base)
    shot(page, "worksheet-paste-desktop")
    page.click("button:has-text('Read the announcement')")
    assert page.locator("h1").inner_text() == "Worksheet: what the announcement says"
    assert page.locator(".ws-vague strong").inner_text() == "2"
    assert int(page.locator(".ws-concrete strong").inner_text()) >= 4
    assert page.locator("table.ws-found").get_by_text("Nimbus Compute (new) as provider").count() == 1
    # A proposal's sentence link leads to the numbered sentence.
    assert page.locator("#s-1").inner_text().startswith("Nimbus Compute Inc. will lease")
    assert Case.objects.count() == 16  # nothing written by reading
    shot(page, "worksheet-proposals-desktop")
    shot(page, "worksheet-proposals-desktop-top", full_page=False)
    shot(page.locator(".ws-questions").first, "worksheet-questions-desktop", full_page=False)

    # The proposed new organization must be confirmed, with its kind; the rest is kept as proposed.
    names = page.locator("input[name$='-new_organization_name']")
    row = next(i for i in range(names.count()) if names.nth(i).input_value() == "Nimbus Compute")
    page.select_option(f"#id_parties-{row}-new_organization_kind", "cloud_provider")
    page.check(f"#id_parties-{row}-confirm_new")
    page.fill("#id_case-tags", "compute, leases")
    page.click("button:has-text('Create the draft case and analysis')")
    page.wait_for_url("**/desk/versions/*/")
    assert "Draft case" in page.locator(".message").first.inner_text()
    shot(page, "worksheet-draft-desktop")

    version = EvaluationVersion.objects.get(case__title__contains="Nimbus Compute")
    assert version.state == EvaluationVersion.State.DRAFT
    assert Organization.objects.filter(name="Nimbus Compute", kind="cloud_provider").exists()
    assert version.case.sources.get().excerpt == RELEASE

    # Submitting a draft the worksheet could not score is stopped by the checklist, with the list.
    page.click("button:has-text('Submit for review')")
    page.wait_for_load_state()
    assert "Criteria not scored" in page.inner_text(".checklist-blocking")
    version.refresh_from_db()
    assert version.state == EvaluationVersion.State.DRAFT
    assert version.case.status == Case.Status.DRAFT  # published only after review
    context.close()

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    _sign_in_and_read(page, base)
    page.click("button:has-text('Read the announcement')")
    assert page.locator(".ws-vague strong").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(page, "worksheet-proposals-phone")
    shot(page, "worksheet-proposals-phone-top", full_page=False)
    phone.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
