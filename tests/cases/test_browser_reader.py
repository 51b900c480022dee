"""Phones, keyboards and screen readers, in real headless Chromium.

At 390 px: margin notes never sit inside a sentence, chart text is at least
12 CSS px, nothing scrolls the page sideways, the first result is on the first
screen, filters hide behind "Filter" with the active ones as removable chips.
axe-core (axe-playwright-python) checks every reader and desk page at 1280
and 390 px and fails on any serious or critical violation. Screenshots go to
``artifacts/screens/``.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from evaluations.services import workflow
from tests.support.browser import DESKTOP, PHONE, shot

pytestmark = pytest.mark.browser
COLOSSUS = "xai-anthropic-colossus-1"

# For each margin note: how far below its number the text that follows it starts (px), and how it is shown.
NOTE_GAPS = """() => Array.from(document.querySelectorAll('.narrative .sidenote')).map(note => {
  const ref = note.previousElementSibling.getBoundingClientRect();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  walker.currentNode = note;
  let node = walker.nextNode();
  while (node && (note.contains(node) || !node.textContent.trim())) node = walker.nextNode();
  const range = document.createRange();
  const offset = node.textContent.search(/\\S/);
  range.setStart(node, offset); range.setEnd(node, offset + 1);
  const next = range.getClientRects()[0];
  const style = getComputedStyle(note);
  return {gap: next.top - ref.top, display: style.display, position: style.position,
          lineHeight: parseFloat(getComputedStyle(note.parentElement).lineHeight)};
})"""

# The smallest rendered font size of the visible chart text, in CSS px.
CHART_TEXT_MIN = """() => Math.min(...Array.from(document.querySelectorAll('svg.chart text'))
  .filter(t => t.getClientRects().length)
  .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a))"""


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_phone_archive_notes_and_charts(live_server, browser, demo_committed):
    base = live_server.url
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()

    # The archive: the first result on the first screen; filters behind "Filter".
    page.goto(base + "/")
    first = page.locator("article.case-row").first.bounding_box()
    assert first["y"] + 40 < PHONE["height"], f"the first result starts at {first['y']} px"
    assert page.locator(".filter-toggle").is_visible()
    assert not page.locator("#f-organization").is_visible()
    assert "16 cases" in page.locator(".result-count").inner_text()
    _no_sideways_scroll(page)

    # Filter by an organization through the control; the active filters show as chips.
    page.click(".filter-toggle")
    page.select_option("#f-organization", "anthropic")
    page.click("button:has-text('Show cases')")
    page.fill("#f-search", "compute")
    page.click("button:has-text('Search')")
    chips = page.locator(".chips a.chip")
    assert chips.count() == 2 and chips.first.is_visible()
    assert "Anthropic" in page.locator(".chips").inner_text()
    assert page.locator("article.case-row").first.bounding_box()["y"] < PHONE["height"]
    shot(page, "archive-filtered-phone")
    page.locator(".chips a.chip", has_text="Organization").click()
    assert "organization=" not in page.url and "search=compute" in page.url
    page.click("a.clear-filters")
    assert page.url.rstrip("/") == base

    # The case: no note inside a sentence; a note opens from its number as a sheet.
    page.goto(f"{base}/cases/{COLOSSUS}/")
    gaps = page.evaluate(NOTE_GAPS)
    assert len(gaps) >= 2
    for gap in gaps:
        assert gap["display"] == "none" or gap["position"] == "fixed", gap
        assert gap["gap"] <= 1.6 * gap["lineHeight"], f"a note's box sits inside its sentence: {gap}"
    page.locator(".note-ref a").first.click()
    note = page.locator(".narrative .sidenote").first
    assert note.is_visible()
    box = note.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"] and box["width"] <= PHONE["width"]
    shot(page, "case-note-open-phone", full_page=False)  # the screen as the reader sees it
    assert page.locator(".notes-list li").count() >= 2  # every note, numbered, under the analysis

    # Charts drawn for the phone: text at least 12 px. The figures table scrolls in its own box.
    assert page.evaluate(CHART_TEXT_MIN) >= 12
    scroller = page.locator(".risk-summary .table-scroll")
    assert scroller.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    assert scroller.evaluate("el => el.scrollWidth > el.clientWidth"), "the wide table scrolls inside its box"
    _no_sideways_scroll(page)

    page.goto(base + "/organizations/anthropic/")
    assert page.evaluate(CHART_TEXT_MIN) >= 12
    _no_sideways_scroll(page)
    context.close()


def test_desktop_keeps_the_wide_chart_and_open_filters(live_server, browser, demo_committed):
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(live_server.url + "/")
    assert page.locator("#f-organization").is_visible() and not page.locator(".filter-toggle").is_visible()
    page.goto(f"{live_server.url}/cases/{COLOSSUS}/")
    assert page.locator("svg.chart-wide").is_visible() and not page.locator("svg.chart-narrow").is_visible()
    assert page.evaluate(CHART_TEXT_MIN) >= 12


def test_inverted_dates_say_why(live_server, browser, demo_committed):
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(live_server.url + "/?announced_after=2026-01-01&announced_before=2024-01-01")
    alert = page.locator(".errors[role=alert]")
    assert "Swap the two dates" in alert.inner_text()
    alert.locator("a", has_text="Swap the dates").click()
    assert "announced_after=2024-01-01" in page.url and "announced_before=2026-01-01" in page.url
    assert page.locator("article.case-row").count() >= 1


def test_keyboard_skip_link_and_visible_focus(live_server, browser, demo_committed):
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    assert skip.evaluate("el => el === document.activeElement") and skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # Every control of the archive is reached by Tab, each with a visible outline.
    page.goto(live_server.url + "/?organization=anthropic")
    wanted = page.evaluate(
        "Array.from(document.querySelectorAll('main a[href], main input, main select, main button, main summary'))"
        ".filter(el => el.getClientRects().length).map((el, i) => { el.dataset.kbd = i; return i; }).length"
    )
    reached, unfocused = set(), []
    for _ in range(wanted + 40):
        page.keyboard.press("Tab")
        info = page.evaluate(
            "(() => { const el = document.activeElement; const s = getComputedStyle(el);"
            " return {inMain: !!el.closest('main'), key: el.dataset.kbd || el.outerHTML.slice(0, 80),"
            " outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2}; })()"
        )
        if info["inMain"]:
            reached.add(info["key"])
            if not info["outline"]:
                unfocused.append(info["key"])
    assert len(reached) >= wanted, (len(reached), wanted)
    assert not unfocused, unfocused


# --- axe-core on every page --------------------------------------------------------------------


@pytest.fixture
def desk_world(demo_committed):
    """A superuser, a draft version to edit, and the ids the desk's URLs need."""
    from cases.models import Case, Organization

    user = get_user_model().objects.create_superuser("axe", "axe@example.com", "pw-axe-123456789")
    case = Case.objects.get(slug=COLOSSUS)
    published = case.evaluation_versions.get(state="published")
    draft = workflow.evaluation_version_start(case=case, by=user)
    return {
        "case": case.pk,
        "published": published.pk,
        "draft": draft.pk,
        "organization": Organization.objects.get(slug="anthropic").pk,
        "merge": (Organization.objects.get(slug="google").pk, Organization.objects.get(slug="alphabet").pk),
    }


def _reader_paths() -> list[str]:
    return [
        "/",
        "/?search=memphis+colossus",
        "/?search=colosus",
        "/?organization=anthropic&announced_after=2026-01-01&announced_before=2024-01-01",
        f"/cases/{COLOSSUS}/",
        f"/cases/{COLOSSUS}/history/",
        f"/cases/{COLOSSUS}/versions/1/",
        f"/cases/{COLOSSUS}/compare/?a=1&b=1",
        f"/cases/{COLOSSUS}/rubric-versions/",
        "/organizations/",
        "/organizations/anthropic/",
        "/organizations/anthropic/suppliers/",
        "/rubric/",
        "/rubric/partnership-leverage/v1/",
        "/accounts/login/",
        "/graph/",
        "/organizations/anthropic/graph/",
        f"/compare/?cases={COLOSSUS},amazon-anthropic,google-anthropic",
        f"/compare/?cases={COLOSSUS}",
        "/?organization=aws",
        f"/embed/cases/{COLOSSUS}/card/",
        f"/embed/cases/{COLOSSUS}/chart/",
        f"/embed/cases/{COLOSSUS}/ledger/",
        "/alerts/",
    ]


def _desk_paths(ids: dict) -> list[str]:
    return [
        "/desk/",
        "/desk/cases/",
        "/desk/cases/new/",
        f"/desk/cases/{ids['case']}/",
        f"/desk/cases/{ids['case']}/edit/",
        f"/desk/cases/{ids['case']}/timeline/0/",
        "/desk/cases/?status=published&needs_reevaluation=on",
        f"/desk/cases/{ids['case']}/history/",
        f"/desk/cases/{ids['case']}/compare/",
        f"/desk/versions/{ids['published']}/",
        f"/desk/versions/{ids['draft']}/",
        f"/desk/versions/{ids['draft']}/edit/",
        "/desk/organizations/",
        f"/desk/organizations/{ids['organization']}/edit/",
        "/desk/worksheet/",
        "/desk/organizations/merge/",
        "/accounts/password/",
        "/desk/organizations/merge/?source={}&target={}".format(*ids["merge"]),
    ]


def test_axe_finds_no_serious_violation_on_any_page(live_server, browser, desk_world):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems: list[str] = []
    for viewport, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        paths = _reader_paths()
        for path in paths:
            problems += _axe_page(axe, page, live_server.url + path)
        page.goto(live_server.url + "/accounts/login/")
        page.fill("input[name=username]", "axe")
        page.fill("input[name=password]", "pw-axe-123456789")
        page.locator("main button[type=submit]").click()
        page.wait_for_load_state()
        for path in _desk_paths(desk_world):
            problems += _axe_page(axe, page, live_server.url + path)
        shot(page, f"desk-organization-merge-{suffix}")  # the last desk page: a merge's preview
        context.close()
    assert not problems, "\n".join(problems)


def _axe_page(axe, page, url: str) -> list[str]:
    response = page.goto(url)
    assert response.status < 500, url
    results = axe.run(page)
    return [
        f"{url} [{page.viewport_size['width']}px] {v['id']} ({v['impact']}): {v['help']} "
        f"-> {[node['target'] for node in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
