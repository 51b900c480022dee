"""The checklist and the preview in headless Chromium.

A draft of the published Colossus analysis, started before the rubric moved on (its new version
adds a criterion): the draft page's checklist says so and offers the move; after the move, the
new criterion is listed as unscored and submitting is refused with the list; the preview shows
the reader page of the draft. Screenshots at 1280 and 390 px go to ``artifacts/screens/``.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cases.models import Case
from evaluations.models import EvaluationVersion, RubricVersion
from evaluations.services import rubric_versions, workflow
from tests.support.browser import DESKTOP, PHONE, fits, shot, signed_in
from tests.support.content import COLOSSUS

pytestmark = pytest.mark.browser


@pytest.fixture
def moved_on(demo_committed):
    users = get_user_model().objects
    editor = users.create_user("checklist-editor")
    editor.groups.add(Group.objects.get(name="Editors"))
    admin = users.create_user("checklist-admin", is_staff=True, is_superuser=True)
    case = Case.objects.get(slug=COLOSSUS)
    version = workflow.evaluation_version_start(case=case, by=editor)
    active = RubricVersion.objects.get(status=RubricVersion.Status.ACTIVE)
    draft = rubric_versions.rubric_version_clone(version=active, by=admin)
    criteria = [
        {k: getattr(c, k) for k in ("key", "family", "per_party", "question", "guidance", "position")}
        | {"weight": str(c.weight)}
        for c in draft.criteria.all()
    ]
    criteria.append(
        {"key": "exit_terms", "family": "dependency", "per_party": True, "question": "Can it walk away?", "weight": "1"}
    )
    rubric_versions.rubric_version_update_draft(version=draft, by=admin, data={"criteria": criteria})
    rubric_versions.rubric_version_activate(version=draft, by=admin)
    return {"case": case, "version": version, "editor": editor}


def test_the_checklist_the_move_and_the_preview(live_server, browser, moved_on):
    version = moved_on["version"]
    url = f"{live_server.url}/desk/versions/{version.pk}/"
    context, page = signed_in(browser, live_server, moved_on["editor"], DESKTOP)
    page.goto(url)
    checklist = page.locator("section.checklist").first
    assert "The rubric moved on" in checklist.inner_text()
    page.get_by_role("button", name="Move onto the active rubric version").click()
    page.wait_for_load_state()
    assert "new criteria to score: exit_terms" in page.locator(".messages").inner_text()
    checklist = page.locator("section.checklist").first
    text = checklist.inner_text()
    assert "Submitting is blocked until these are fixed" in text and "exit_terms (Anthropic)" in text
    shot(page, "checklist-draft-1280")
    # Submitting anyway: refused, with the list.
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_load_state()
    assert "Not submitted" in page.content() and "exit_terms (xAI)" in page.locator("form .errors").inner_text()
    version.refresh_from_db()
    assert version.state == EvaluationVersion.State.DRAFT
    # The preview, from the checklist's link.
    page.goto(url)
    page.locator("a.preview-link").first.click()
    page.wait_for_load_state()
    assert "Preview of draft version" in page.locator(".preview-banner").inner_text()
    assert page.locator('meta[name="robots"]').get_attribute("content") == "noindex, nofollow"
    assert page.locator("section.risk-summary").is_visible() and page.locator("table.preview-changes").is_visible()
    assert page.locator(".scores-section table.scores").count() >= 2
    shot(page, "checklist-preview-1280")
    context.close()

    context, page = signed_in(browser, live_server, moved_on["editor"], PHONE)
    page.goto(url)
    fits(page, PHONE)
    shot(page, "checklist-draft-390")
    page.goto(f"{url}preview/")
    fits(page, PHONE)
    shot(page, "checklist-preview-390")
    context.close()
