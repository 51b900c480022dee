"""The desk in real headless Chromium: desk.css wins over site.css for the selectors they share.

Screenshots of the desk's case list and new-case form at desktop and phone
widths go to ``artifacts/screens/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]  # fmt: skip

if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
    pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium package)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture
def browser(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def session_cookie(demo_committed) -> str:
    """A signed-in editor's session (made with the test client, handed to the browser)."""
    editor = get_user_model().objects.create_user("desk-editor", password="pw-desk-editor-123456")
    editor.groups.add(Group.objects.get(name="Editors"))
    client = Client()
    client.force_login(editor)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.parametrize("width, height, name", [(1280, 900, "desktop"), (390, 844, "phone")])
def test_desk_css_applies_after_site_css(live_server, browser, session_cookie, width, height, name):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_cookie, "url": live_server.url}])
    page = context.new_page()
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/desk/cases/")
    assert page.locator("h1").inner_text() == "Cases"
    page.screenshot(path=str(SCREENS / f"desk-cases-{name}.png"), full_page=True)
    page.goto(f"{live_server.url}/desk/cases/new/")
    # site.css says .field { gap: .2rem }, desk.css says .25rem: the desk's rule must win (4px, not 3.2px).
    assert page.eval_on_selector(".field", "el => getComputedStyle(el).rowGap") == "4px"
    page.screenshot(path=str(SCREENS / f"desk-case-form-{name}.png"), full_page=True)
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
