"""The desk's facts form of a published case in headless Chromium: it edits the open draft's facts.

Screenshots of the form and of the draft's version page (its "Facts of the case" section)
at 1280 and 390 px go to ``artifacts/screens/``; the phone layout does not scroll sideways.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cases.models import Case
from evaluations.models import EvaluationVersion
from tests.support.browser import DESKTOP, PHONE, shot
from tests.support.content import COLOSSUS

pytestmark = pytest.mark.browser
PASSWORD = "pw-facts-editor-123456"


@pytest.fixture
def desk_editor(demo_committed):
    user = get_user_model().objects.create_user("facts-editor", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def test_a_published_cases_facts_are_edited_in_a_draft(live_server, browser, desk_editor):
    case = Case.objects.get(slug=COLOSSUS)
    old_title = case.title
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(live_server.url + f"/accounts/login/?next=/desk/cases/{case.pk}/edit/")
        page.fill("#id_username", "facts-editor")
        page.fill("#id_password", PASSWORD)
        page.click("button:has-text('Sign in')")
        page.wait_for_url(f"**/desk/cases/{case.pk}/edit/")
        assert "its facts change only through a version" in page.content()
        shot(page, f"desk-facts-form-{name}")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.fill("#id_title", f"Colossus, retitled ({name})")
        page.fill("#id_capacity_note", "about 300 MW, per two reports")
        page.click("button:has-text('Save in the draft')")
        page.wait_for_url("**/desk/versions/*/")
        assert "This version changes 2 facts of the case" in page.content()
        shot(page, f"desk-facts-version-{name}")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        context.close()
    draft = EvaluationVersion.objects.get(case=case, state="draft")
    assert draft.facts["title"] == "Colossus, retitled (phone)"
    assert Case.objects.get(pk=case.pk).title == old_title
