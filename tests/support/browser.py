"""Headless Chromium for the browser tests: where it is, its launch, the viewports, screenshots.

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
