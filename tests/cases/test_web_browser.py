"""The graph, a neighbourhood and a comparison in real headless Chromium at desktop and phone widths.

Screenshots go to ``artifacts/screens/``; each page is also checked for what a
person needs: the drawing, its table of edges, and no sideways scroll of the
page itself at 390 px (the drawing scrolls inside its own box).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]  # fmt: skip

if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
    pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium package)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

PAGES = {
    "graph": "/graph/",
    "neighbourhood": "/organizations/anthropic/graph/",
    "comparison": "/compare/?cases=xai-anthropic-colossus-1,amazon-anthropic,microsoft-openai",
}


@pytest.fixture
def browser(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def test_web_pages_at_desktop_and_phone_widths(live_server, browser, demo_committed):
    SCREENS.mkdir(parents=True, exist_ok=True)
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
            page.screenshot(path=str(SCREENS / f"web-{name}-{size_name}.png"), full_page=True)
        page.close()
