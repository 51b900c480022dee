"""The score form in headless Chromium: a two-party deal by party, Stargate's seven parties as a grid.

At 390 px the page itself never scrolls sideways: the grid scrolls in its own region with the
criterion column held in place. A score left empty with its rationale is parked; a bad value comes
back beside its input and in the summary at the top. Screenshots at 1280 and 390 px go to
``artifacts/screens/score-form-*.png``.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cases.models import Case
from evaluations.services import workflow
from tests.support.browser import DESKTOP, PHONE, fits, shot, signed_in
from tests.support.content import COLOSSUS

pytestmark = pytest.mark.browser
STARGATE = "stargate-openai-softbank-oracle-mgx"


@pytest.fixture
def drafts(demo_committed):
    editor = get_user_model().objects.create_user("score-editor")
    editor.groups.add(Group.objects.get(name="Editors"))
    versions = {
        slug: workflow.evaluation_version_start(case=Case.objects.get(slug=slug), by=editor)
        for slug in (COLOSSUS, STARGATE)
    }
    return {"editor": editor, **versions}


def test_two_parties_by_party_with_a_parked_rationale_and_an_error(live_server, browser, drafts):
    version = drafts[COLOSSUS]
    score = version.scores.select_related("criterion").filter(party__isnull=False).order_by("pk").first()
    prefix = f"s-{score.criterion.key}-{score.party_id}"
    url = f"{live_server.url}/desk/versions/{version.pk}/edit/"
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context, page = signed_in(browser, live_server, drafts["editor"], viewport)
        page.goto(url)
        assert page.locator(".score-party").count() == 2
        assert page.get_by_label(f"Score: {score.criterion.key.replace('_', ' ')}, ").first.is_visible()
        fits(page, viewport)
        page.locator(".score-party").first.scroll_into_view_if_needed()
        shot(page, f"score-form-2-parties-{name}")
        context.close()

    context, page = signed_in(browser, live_server, drafts["editor"], DESKTOP)
    page.goto(url)
    # Park one rationale: empty the score, no sources; and give another score out of the scale.
    page.fill(f"#id_{prefix}-value", "")
    cell = page.locator(f"#id_{prefix}-value").locator("xpath=ancestor::div[contains(@class,'score-cell')]")
    cell.locator("summary").click()
    page.fill(f"#id_{prefix}-rationale", "Not sure yet: the lease may be extended.")
    for box in cell.locator("input[type=checkbox]:checked").all():
        box.uncheck()
    with page.expect_navigation():
        page.click("button[name=save]")
    version.refresh_from_db()
    assert version.parked_rationales[0]["rationale"] == "Not sure yet: the lease may be extended."
    assert page.locator(f"#id_{prefix}-value").locator("xpath=..").locator(".parked").is_visible()
    other = version.scores.select_related("criterion").filter(party__isnull=False).order_by("pk").first()
    other_field = f"#id_s-{other.criterion.key}-{other.party_id}-value"
    # The browser's own check would stop 9: the server's message is what this shows.
    page.eval_on_selector(other_field, "el => el.removeAttribute('max')")
    page.fill(other_field, "9")
    with page.expect_navigation():
        page.click("button[name=save]")
    summary = page.locator("#error-summary")
    assert summary.is_visible() and "1 problem" in summary.inner_text()
    assert page.locator(f"{other_field}_error").inner_text().strip() == "Give a score from 0 to 4."
    summary.locator("a").click()
    assert page.evaluate("document.activeElement.id") in ("", other_field[1:])  # the link goes to the input
    shot(page, "score-form-2-parties-error-desktop")
    context.close()


def test_stargate_as_a_grid_fits_a_phone(live_server, browser, drafts):
    version = drafts[STARGATE]
    url = f"{live_server.url}/desk/versions/{version.pk}/edit/"
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context, page = signed_in(browser, live_server, drafts["editor"], viewport)
        page.goto(url)
        grid = page.locator("table.score-grid")
        assert grid.locator("thead th").count() == 1 + 7
        fits(page, viewport)
        region = page.locator(".score-grid-scroll")
        region.scroll_into_view_if_needed()
        first_header = grid.locator("tbody th").first
        before = first_header.bounding_box()["x"]
        region.evaluate("el => el.scrollLeft = el.scrollWidth")
        # The criterion column stays where it was while the parties scroll past it.
        assert abs(first_header.bounding_box()["x"] - before) < 1
        if name == "phone":
            assert page.evaluate("el => el.scrollWidth > el.clientWidth", region.element_handle())
        region.evaluate("el => el.scrollLeft = 0")
        grid.locator("tbody th details summary").first.click()
        shot(page, f"score-form-stargate-{name}")
        region.screenshot(path=str(_screens() / f"score-form-stargate-grid-{name}.png"))
        context.close()


def _screens():
    from tests.support.browser import SCREENS

    return SCREENS
