"""The graph, a neighbourhood and a comparison in real headless Chromium at desktop and phone widths.

Screenshots go to ``artifacts/screens/`` (CI's artifacts); each page is also
checked for what a person needs: the drawing with labels that do not overlap,
its table of edges, and no sideways scroll of the page itself at 390 px (the
drawing scrolls inside its own box). The archive's "Compare" ticks open the
comparison with no script at all.
"""

from __future__ import annotations

import pytest

from tests.support.browser import DESKTOP, PHONE, shot

pytestmark = pytest.mark.browser

SIZES = {"desktop": DESKTOP, "phone": PHONE}


PAGES = {
    "graph": "/graph/",
    "graph-collapsed": "/graph/?collapse=1",
    "neighbourhood": "/organizations/anthropic/graph/",
    "comparison": "/compare/?cases=xai-anthropic-colossus-1,amazon-anthropic,microsoft-openai",
}
OVERLAPS = """() => {
  const boxes = [...document.querySelectorAll('svg.graph .graph-label')].map(e => e.getBoundingClientRect());
  let n = 0;
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    const dx = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    if (dx > 1 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1) n++;
  }
  return n;
}"""


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
                assert page.evaluate(OVERLAPS) == 0, f"{name}: labels overlap at {viewport['width']} px"
            else:
                assert page.locator("table.deals-compare thead th").count() == 4
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"{name} scrolls sideways at {viewport['width']} px"
            shot(page, f"web-{name}-{size_name}")
        page.close()


def test_archive_ticks_open_the_comparison_without_script(live_server, browser, demo_committed):
    for size_name, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, java_script_enabled=False)
        page = context.new_page()
        page.goto(live_server.url + "/")
        ticks = page.locator("input[type=checkbox][name=cases]")
        assert ticks.count() >= 3
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1
        shot(page, f"web-archive-ticks-{size_name}")
        page.locator("label[for^=compare-]").nth(0).click()
        ticks.nth(1).check()
        page.get_by_role("button", name="Compare ticked cases").click()
        assert "/compare/?cases=" in page.url
        assert page.locator("table.deals-compare thead th").count() == 3
        page.goto(live_server.url + "/")
        ticks.nth(0).check()
        page.get_by_role("button", name="Compare ticked cases").click()
        assert "You picked 1 case: pick between 2 and 6" in page.locator("[role=alert]").inner_text()
        context.close()


def test_a_bounded_neighbourhood_says_what_it_left_out(live_server, browser, demo_committed, monkeypatch):
    """Bounds lowered so that the demo's busiest neighbourhood is cut: the drawing, its table and the
    left-out line with its links to every deal, legible at both widths."""
    from cases import graph

    monkeypatch.setattr(graph, "FOCUS_STEP1", 4)
    monkeypatch.setattr(graph, "FOCUS_STEP2", 3)
    monkeypatch.setattr(graph, "MAX_EDGES", 6)
    for size_name, viewport in SIZES.items():
        page = browser.new_page(viewport=viewport)
        response = page.goto(live_server.url + "/organizations/anthropic/graph/")
        assert response and response.status == 200
        line = page.locator(".graph-left-out")
        assert "one step from Anthropic" in line.inner_text() and "left out" in line.inner_text()
        assert line.locator("a[href='/?organization=anthropic']").count() == 1
        assert page.locator("svg.graph .graph-node").count() == 1 + 4 + 3
        assert page.locator("table.graph-edges tbody tr").count() == page.locator("svg.graph line").count() <= 6
        assert page.evaluate(OVERLAPS) == 0, f"labels overlap at {viewport['width']} px"
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"the bounded neighbourhood scrolls sideways at {viewport['width']} px"
        shot(page, f"web-neighbourhood-bounded-{size_name}")
        page.close()
