"""A published fact and a score changed, reviewed and published as a correction, in headless Chromium.

The walk of issue 13: an editor edits a published case's title and one score in a draft; the
reviewer, who sent the draft back once, sees both first under "Changes since your last review",
and approves as a correction; readers see the new title only after publication, and the public
compare page shows exactly those two changes (the narrative: no change). Screenshots of the
reviewer's screen and the public compare at 1280 and 390 px go to ``artifacts/screens/``.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cases.models import Case
from evaluations.models import EvaluationVersion
from evaluations.services import workflow
from tests.support.browser import DESKTOP, PHONE, fits, shot, signed_in
from tests.support.content import COLOSSUS

pytestmark = pytest.mark.browser
NEW_TITLE = "xAI leases Colossus 1 to Anthropic (corrected)"


@pytest.fixture
def sent_back(demo_committed):
    """A draft of the published Colossus analysis, submitted unchanged and sent back by the reviewer."""
    users = get_user_model().objects
    editor = users.create_user("record-editor")
    editor.groups.add(Group.objects.get(name="Editors"))
    reviewer = users.create_user("record-reviewer")
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    case = Case.objects.get(slug=COLOSSUS)
    version = workflow.evaluation_version_start(case=case, by=editor)
    version = workflow.evaluation_version_submit(version=version, by=editor)
    version = workflow.evaluation_version_send_back(version=version, by=reviewer, comment="Check the title.")
    return {"case": case, "version": version, "editor": editor, "reviewer": reviewer}


def test_a_fact_and_a_score_reviewed_and_published_as_a_correction(live_server, browser, sent_back):
    case, version = sent_back["case"], sent_back["version"]
    old_title = case.title
    score = version.scores.select_related("criterion").filter(party__isnull=False).order_by("pk").first()
    new_value = 0 if score.value != 0 else 1
    field = f"#id_s-{score.criterion.key}-{score.party_id}-value"

    # The editor: the title in the draft's facts, then one score, then submit.
    context, page = signed_in(browser, live_server, sent_back["editor"], DESKTOP)
    page.goto(f"{live_server.url}/desk/cases/{case.pk}/edit/")
    page.fill("#id_title", NEW_TITLE)
    page.click("button:has-text('Save in the draft')")
    page.wait_for_url(f"**/desk/versions/{version.pk}/")
    page.goto(f"{live_server.url}/desk/versions/{version.pk}/edit/")
    page.fill(field, str(new_value))
    with page.expect_navigation():
        page.click("button[name=save]")  # a save comes back to the form
    page.goto(f"{live_server.url}/desk/versions/{version.pk}/")
    page.click("button:has-text('Submit for review')")
    page.wait_for_load_state()
    context.close()
    assert EvaluationVersion.objects.get(pk=version.pk).state == EvaluationVersion.State.IN_REVIEW

    # Readers still see the published title.
    reader = browser.new_page(viewport=DESKTOP)
    reader.goto(f"{live_server.url}/cases/{COLOSSUS}/")
    assert old_title in reader.locator("h1").inner_text()
    assert NEW_TITLE not in reader.content()

    # The reviewer: both changes first, then approval as a correction.
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context, page = signed_in(browser, live_server, sent_back["reviewer"], viewport)
        page.goto(f"{live_server.url}/desk/versions/{version.pk}/")
        since = page.locator(".since-review")
        assert since.locator("#since-review-h").inner_text() == "Changes since your last review"
        assert NEW_TITLE in since.inner_text()
        assert since.locator(".score-changed").count() == 1
        shot(page, f"record-review-since-{name}")
        fits(page, viewport)
        if name == "phone":
            page.fill("#id_correction_note", "The title named the wrong party.")
            page.click("button:has-text('Approve and publish')")
            page.wait_for_url(f"**/desk/versions/{version.pk}/")
        context.close()
    published = EvaluationVersion.objects.get(pk=version.pk)
    assert published.state == EvaluationVersion.State.PUBLISHED
    assert published.correction_note == "The title named the wrong party."
    # The editor's score save changed only the score: nobody's change shows in the narrative.
    assert "revision 3: scores" in [f"{e.comment}" for e in published.audit_entries.all()]

    assert Case.objects.get(pk=case.pk).title == NEW_TITLE
    # Readers (a new visit: the page's short public max-age may keep the old copy in a browser
    # that just read it): the new title, and a compare that shows exactly the two changes.
    reader.close()
    reader = browser.new_page(viewport=DESKTOP)
    reader.goto(f"{live_server.url}/cases/{COLOSSUS}/")
    assert NEW_TITLE in reader.locator("h1").inner_text()
    before = published.number - 1
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = browser.new_page(viewport=viewport)
        page.goto(f"{live_server.url}/cases/{COLOSSUS}/compare/?a={before}&b={published.number}")
        facts = page.locator(".fact-changes dt")
        assert facts.count() == 1 and facts.inner_text().strip().lower() == "title"
        assert page.locator("table.compare-scores tbody tr").count() == 1
        assert page.locator("#verdict-h").count() == 0
        assert "No change to the narrative." in page.content()
        assert page.locator(".diff ins, .diff del").count() == 0
        shot(page, f"record-public-compare-{name}")
        fits(page, viewport)
        page.close()
    reader.close()
