"""The graph, a neighbourhood and a comparison in real headless Chromium at desktop and phone widths.

Screenshots go to ``artifacts/screens/``; each page is also checked for what a
person needs: the drawing, its table of edges, and no sideways scroll of the
page itself at 390 px (the drawing scrolls inside its own box).
"""

from __future__ import annotations

import pytest

from tests.support.browser import DESKTOP, PHONE, shot

pytestmark = pytest.mark.browser

SIZES = {"desktop": DESKTOP, "phone": PHONE}


PAGES = {
    "graph": "/graph/",
    "neighbourhood": "/organizations/anthropic/graph/",
    "comparison": "/compare/?cases=xai-anthropic-colossus-1,amazon-anthropic,microsoft-openai",
}


def test_web_pages_at_desktop_and_phone_widths(live_server, browser, demo_committed):
    for size_name, viewport in SIZES.items():
        page = browser.new_page(viewport=viewport)
        for name, path in PAGES.items():
            response = page.goto(live_server.url + path)
            assert response and response.status == 200
            if name != "comparison":
                assert page.locator("svg.graph .graph-node").count() >= 3
                assert page.locator("table.graph-edges tbody tr").count() >= 2
                label_size = page.eval_on_selector(".graph-label", "e => e.getBoundingClientRect().height")
                assert label_size >= 11  # drawn at full size, not shrunk to fit a phone
            else:
                assert page.locator("table.deals-compare thead th").count() == 4
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"{name} scrolls sideways at {viewport['width']} px"
            shot(page, f"web-{name}-{size_name}")
        page.close()
