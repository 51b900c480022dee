"""Independent double scoring in headless Chromium: two editors score a draft blind, the reviewer
settles a difference from the reconciliation queue; the rubric page shows the agreement figures.
Screenshots of the queue, the double scoring page and the rubric page's agreement figures at 1280
and 390 px go to ``artifacts/screens/``."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cases.models import Case
from evaluations.models import DoubleScoring
from evaluations.services import double_scoring as ds
from evaluations.services import workflow
from tests.support.browser import DESKTOP, PHONE, fits, shot, signed_in
from tests.support.content import COLOSSUS

pytestmark = pytest.mark.browser


@pytest.fixture
def scored(demo_committed):
    """A Colossus draft scored by two editors, who differ by more than a point on two scores."""
    users = get_user_model().objects
    editor, editor2 = users.create_user("ds-editor"), users.create_user("ds-editor2")
    reviewer = users.create_user("ds-reviewer")
    for user, group in ((editor, "Editors"), (editor2, "Editors"), (reviewer, "Reviewers")):
        user.groups.add(Group.objects.get(name=group))
    version = workflow.evaluation_version_start(case=Case.objects.get(slug=COLOSSUS), by=editor)
    ds.double_scoring_request(version=version, by=reviewer, first_scorer=editor, second_scorer=editor2)
    rubric_version = version.evaluation.rubric_version
    parties = list(version.case.parties.order_by("position"))
    for scorer, changes in ((editor, {}), (editor2, {("dependency", 0): 4, ("margin", 1): 0})):
        sheet = [
            ds.RawScoreInput(c.key, p.pk, changes.get((c.key, i), 2))
            for c in rubric_version.criteria.all()
            for i, p in enumerate(parties)
        ]
        ds.double_scoring_submit(version=version, by=scorer, scores=sheet)
    return {"version": version, "reviewer": reviewer}


def test_the_reconciliation_queue_and_the_agreement_figures(live_server, browser, scored):
    version = scored["version"]
    for label, viewport in (("1280", DESKTOP), ("390", PHONE)):
        context, page = signed_in(browser, live_server, scored["reviewer"], viewport)
        page.goto(f"{live_server.url}/desk/reconciliation/")
        assert page.locator("table.reconciliation tbody tr").count() == 2
        shot(page, f"reconciliation-queue-{label}")
        fits(page, viewport)
        page.goto(f"{live_server.url}/desk/versions/{version.pk}/double-scoring/")
        fits(page, viewport)
        shot(page, f"double-scoring-{label}")
        context.close()
        reader = browser.new_page(viewport=viewport)
        reader.goto(f"{live_server.url}/rubric/partnership-leverage/v1/")
        figures = reader.locator("section.agreement")
        assert "1 case" in figures.inner_text()
        fits(reader, viewport)
        shot(figures, f"rubric-agreement-{label}", full_page=False)
        reader.goto(f"{live_server.url}/cases/microsoft-openai/")
        statement = reader.locator("div.double-scoring")
        assert "Scored independently by two editors; settled." in statement.inner_text()
        statement.locator("summary").click()
        fits(reader, viewport)
        shot(statement, f"case-double-scoring-{label}", full_page=False)
        reader.close()

    # The reviewer settles both differences from the queue, with notes.
    context, page = signed_in(browser, live_server, scored["reviewer"], DESKTOP)
    page.goto(f"{live_server.url}/desk/reconciliation/")
    for _ in range(2):
        page.click("table.reconciliation a:has-text('Settle')")
        form = page.locator("form.settle").first
        form.locator("select").select_option("3")
        form.locator("textarea").fill("Ninety days' notice either way.")
        with page.expect_navigation():
            form.locator("button").click()
        page.goto(f"{live_server.url}/desk/reconciliation/")
    assert "No differences wait" in page.inner_text("body")
    context.close()
    assert DoubleScoring.objects.get(version=version).settled_at is not None
    assert set(version.scores.values_list("value", flat=True)) <= {2, 3}
