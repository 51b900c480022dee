"""Unsaved work in headless Chromium: leaving a changed form asks first (beforeunload), and a
colleague's save of the same draft shows on the page before one saves (static/js/desk-unsaved.js)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cases.models import Case
from evaluations.models import EvaluationVersion
from evaluations.services import workflow
from tests.support.browser import DESKTOP, PHONE, fits, shot, signed_in
from tests.support.content import COLOSSUS

pytestmark = pytest.mark.browser


@pytest.fixture
def draft(demo_committed):
    users = get_user_model().objects
    editor = users.create_user("unsaved-editor")
    editor.groups.add(Group.objects.get(name="Editors"))
    colleague = users.create_user("unsaved-colleague")
    colleague.groups.add(Group.objects.get(name="Editors"))
    version = workflow.evaluation_version_start(case=Case.objects.get(slug=COLOSSUS), by=editor)
    return {"version": version, "editor": editor, "colleague": colleague}


def test_leaving_a_changed_form_asks_first(live_server, browser, draft):
    version = draft["version"]
    context, page = signed_in(browser, live_server, draft["editor"], DESKTOP)
    dialogs: list[str] = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # "stay on this page"

    page.on("dialog", answer)
    url = f"{live_server.url}/desk/versions/{version.pk}/edit/"
    page.goto(url)
    # Unchanged: leaving does not ask.
    page.click("a:has-text('version')")
    page.wait_for_url(f"**/desk/versions/{version.pk}/")
    assert dialogs == []
    page.goto(url)
    page.fill("#id_verdict", "Half written")
    page.click("a:has-text('version')")  # leaving with the change: the browser asks, the editor stays
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url == url and page.input_value("#id_verdict") == "Half written"
    # Saving is not leaving: no question, and the text is saved.
    with page.expect_navigation():
        page.click("button[name=save]")
    assert dialogs == ["beforeunload"]
    assert EvaluationVersion.objects.get(pk=version.pk).verdict == "Half written"
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_a_colleague_s_save_shows_before_one_saves(live_server, browser, draft, viewport):
    version = draft["version"]
    context, page = signed_in(browser, live_server, draft["editor"], viewport)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/desk/versions/{version.pk}/edit/")
    page.fill("#id_verdict", "Mine")
    # Meanwhile the colleague saves the same draft.
    version.refresh_from_db()
    workflow.evaluation_version_save(
        version=version, by=draft["colleague"], expected_lock=version.lock_version, verdict="Theirs"
    )
    # The tab comes back into view (or the next poll): the page says who saved.
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    notice = page.locator(".watch-notice")
    notice.wait_for(timeout=5000)
    assert "Saved by unsaved-colleague" in notice.inner_text()
    fits(page, viewport)
    shot(page, f"desk-concurrent-save-{viewport['width']}", full_page=False)
    # The save is still refused by the lock: the editor's text comes back, theirs is kept.
    page.click("button[name=save]")
    page.wait_for_load_state()
    assert "edit conflict" in page.content()
    assert EvaluationVersion.objects.get(pk=version.pk).verdict == "Theirs"
    context.close()
