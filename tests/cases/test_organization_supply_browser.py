"""The organization page with more suppliers than it lists, and the full list, at 1280 and 390 px."""

from __future__ import annotations

import pytest

from tests.cases.test_organization_supply import MANY, _many_suppliers
from tests.support.browser import DESKTOP, PHONE, shot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_bounded_supplier_lists_and_the_full_list(live_server, browser, demo_committed, viewport):
    from cases.selectors import ORGANIZATION_TOP

    _many_suppliers()
    suffix = "desktop" if viewport is DESKTOP else "phone"
    context = browser.new_context(viewport=viewport, is_mobile=viewport is PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/organizations/anthropic/")
    assert page.locator("ul.suppliers li").count() == ORGANIZATION_TOP
    assert page.locator("table.paths-table tbody tr").count() == ORGANIZATION_TOP
    more = page.locator("p.more a").first
    assert more.is_visible() and f"and {MANY - ORGANIZATION_TOP} more suppliers" in more.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    shot(page, f"organization-top-suppliers-{suffix}")
    more.click()
    page.wait_for_url("**/organizations/anthropic/suppliers/")
    assert page.locator("table.supply-table tbody tr").count() == 100
    # Three short columns: the whole table fits, even on a phone (no sideways scrolling in its box).
    assert page.locator("table.supply-table").evaluate("t => t.getBoundingClientRect().right") <= viewport["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    shot(page, f"organization-suppliers-{suffix}")
    page.locator('a[rel="last"]').click()
    assert page.locator("table.supply-table tbody tr").count() == MANY - 200
    page.goto(live_server.url + "/organizations/anthropic/suppliers/compute-groups/?page=2")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    shot(page, f"organization-supplier-groups-{suffix}", full_page=False)
    context.close()
