"""The desk in real headless Chromium: desk.css wins over site.css for the selectors they share.

Screenshots of the desk's case list and new-case form at desktop and phone
widths go to ``artifacts/screens/``.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from tests.support.browser import shot

pytestmark = pytest.mark.browser


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
    page.goto(f"{live_server.url}/desk/cases/")
    assert page.locator("h1").inner_text() == "Cases"
    shot(page, f"desk-cases-{name}")
    page.goto(f"{live_server.url}/desk/cases/new/")
    # site.css says .field { gap: .2rem }, desk.css says .25rem: the desk's rule must win (4px, not 3.2px).
    assert page.eval_on_selector(".field", "el => getComputedStyle(el).rowGap") == "4px"
    shot(page, f"desk-case-form-{name}")
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
