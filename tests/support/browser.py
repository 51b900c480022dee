"""Headless Chromium for the browser tests: where it is, its launch, the viewports, a signed-in
page, the no-sideways-scroll check, screenshots.

Importing this skips the importing test module when Chromium or Playwright is missing.
The ``browser`` fixture (tests/conftest.py) launches it through ``launch()``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]  # fmt: skip

if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
    pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium package)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@contextmanager
def launch() -> Iterator:
    """One headless Chromium, closed afterwards."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def shot(target, name: str, *, full_page: bool = True) -> None:
    """A screenshot of a page (whole, or the screen only) or of an element, to artifacts/screens/<name>.png."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(SCREENS / f"{name}.png"), **({"full_page": True} if full_page else {}))


def signed_in(browser, live_server, user, viewport: dict, **options) -> tuple:
    """A new browser context signed in as ``user``, and a page in it: the session is made with the
    test client (no sign-in form) and its cookie handed to the browser. ``options`` go to
    ``new_context`` (``is_mobile``, ``java_script_enabled`` ...)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport, **options)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context, context.new_page()


WIDE = """w => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1)
  .filter(e => !e.closest('.table-scroll') || e.classList.contains('table-scroll'))
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def fits(page, viewport: dict) -> None:
    """The page itself does not scroll sideways (a wide table scrolls in its own region); failing,
    it names the first elements that stick out."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], page.evaluate(WIDE, viewport["width"])
