"""The desk in real headless Chromium: desk.css wins over site.css for the selectors they share.

Screenshots of the desk's case list and new-case form at desktop and phone
widths go to ``artifacts/screens/``.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tests.support.browser import shot, signed_in

pytestmark = pytest.mark.browser


@pytest.fixture
def desk_editor(demo_committed):
    editor = get_user_model().objects.create_user("desk-editor", password="pw-desk-editor-123456")
    editor.groups.add(Group.objects.get(name="Editors"))
    return editor


@pytest.mark.parametrize("width, height, name", [(1280, 900, "desktop"), (390, 844, "phone")])
def test_desk_css_applies_after_site_css(live_server, browser, desk_editor, width, height, name):
    context, page = signed_in(browser, live_server, desk_editor, {"width": width, "height": height})
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
