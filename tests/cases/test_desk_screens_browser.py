"""The desk's main screens at 1280 and 390 px in headless Chromium: nothing scrolls the page
sideways on a phone (a wide table scrolls in its own box), and a screenshot of each goes to
``artifacts/screens/desk-screen-<name>-<width>.png``."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cases.models import Case, Organization
from evaluations.services import workflow
from tests.support.browser import DESKTOP, PHONE, shot, signed_in
from tests.support.content import COLOSSUS

pytestmark = pytest.mark.browser


@pytest.fixture
def desk_world(demo_committed):
    editor = get_user_model().objects.create_user("screens-editor")
    editor.groups.add(Group.objects.get(name="Editors"))
    case = Case.objects.get(slug=COLOSSUS)
    version = workflow.evaluation_version_start(case=case, by=editor)
    return {"editor": editor, "case": case, "version": version}


def _pages(world) -> dict[str, str]:
    case, version = world["case"], world["version"]
    org = Organization.objects.order_by("pk").first()
    return {
        "dashboard": "/desk/",
        "cases": "/desk/cases/?status=published",
        "case": f"/desk/cases/{case.pk}/",
        "case-form": f"/desk/cases/{case.pk}/edit/",
        "new-case": "/desk/cases/new/",
        "timeline-edit": f"/desk/cases/{case.pk}/timeline/0/",
        "version": f"/desk/versions/{version.pk}/",
        "version-edit": f"/desk/versions/{version.pk}/edit/",
        "history": f"/desk/cases/{case.pk}/history/",
        "organizations": "/desk/organizations/",
        "organization-edit": f"/desk/organizations/{org.pk}/edit/",
        "worksheet": "/desk/worksheet/",
    }


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_every_main_desk_screen_fits_the_screen(live_server, browser, desk_world, viewport):
    context, page = signed_in(browser, live_server, desk_world["editor"], viewport)
    too_wide = {}
    for name, path in _pages(desk_world).items():
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, (name, response and response.status)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > viewport["width"]:
            too_wide[name] = width
        shot(page, f"desk-screen-{name}-{viewport['width']}")
    context.close()
    assert too_wide == {}, f"scrolls sideways at {viewport['width']} px: {too_wide}"
