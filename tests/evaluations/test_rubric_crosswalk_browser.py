"""The rubric crosswalk in headless Chromium: the admin's crosswalk editor, the activation's
confirmation with its impact, and a case under two rubric versions, at 1280 and 390 px
(``artifacts/screens/crosswalk-*.png``)."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from evaluations.models import RubricVersion
from evaluations.services import rubric_versions
from tests.evaluations.test_rubric_crosswalk import v2_data
from tests.support.accounts import user_make
from tests.support.browser import DESKTOP, PHONE, fits, shot, signed_in
from tests.support.content import COLOSSUS

pytestmark = pytest.mark.browser


def test_crosswalk_editor_confirmation_and_two_version_view(live_server, browser, demo_committed):
    admin = user_make("crosswalk-admin", "Admins", is_staff=True, is_superuser=True)
    v1 = RubricVersion.objects.get(status="active")
    v2 = rubric_versions.rubric_version_create(rubric=v1.rubric, data=v2_data(v1), by=admin)
    editor_url = live_server.url + reverse("admin:evaluations_rubricversion_crosswalk", args=[v2.pk])
    confirm_url = live_server.url + reverse("admin:evaluations_rubricversion_activate", args=[v2.pk])
    for viewport, size in ((DESKTOP, 1280), (PHONE, 390)):
        context, page = signed_in(browser, live_server, admin, viewport)
        page.goto(editor_url)
        assert page.locator("h1").inner_text() == f"Crosswalk into {v1.rubric.name} v2"
        assert page.locator("#id_kind__margin").input_value() == "merged"
        shot(page, f"crosswalk-editor-{size}")
        page.goto(confirm_url)
        assert "will need re-evaluation" in page.locator("#content").inner_text()
        shot(page, f"crosswalk-activate-{size}")
        context.close()

    # Confirm (desktop), then readers see the case under both versions.
    context, page = signed_in(browser, live_server, admin, DESKTOP)
    page.goto(confirm_url)
    page.get_by_role("button", name="Yes, activate version 2").click()
    page.wait_for_url("**/change/")
    assert "is now active" in page.locator(".messagelist").inner_text()
    context.close()
    for viewport, size in ((DESKTOP, 1280), (PHONE, 390)):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(live_server.url + reverse("case-detail", args=[COLOSSUS]))
        page.get_by_role("link", name="See this analysis under two rubric versions").click()
        assert page.locator(".rubric-side").count() == 2
        assert "carried" in page.locator(".rubric-sides").inner_text()
        fits(page, viewport)
        shot(page, f"crosswalk-two-versions-{size}")
        serious = [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
        assert not serious, serious
        context.close()
