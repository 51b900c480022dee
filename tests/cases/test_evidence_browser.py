"""The score table with its evidence and the changelog in headless Chromium, at 1280 and 390 px (screenshots kept).

Wide: each score's quotes are open beside it. Phone: folded behind a
details/summary (no script), opened by a tap, and nothing scrolls the page sideways.
"""

from __future__ import annotations

import pytest

from cases.models import Case
from evaluations.services import workflow
from tests.support.browser import DESKTOP, PHONE, SCREENS

pytestmark = pytest.mark.browser
COLOSSUS = "xai-anthropic-colossus-1"


def _correction(editor, reviewer) -> None:
    case = Case.objects.get(slug=COLOSSUS)
    draft = workflow.evaluation_version_start(case=case, by=editor)
    scores = [
        workflow.ScoreInput(
            criterion=s.criterion.key,
            party_id=s.party_id,
            value=4 if s.criterion.key == "dependency" and s.party.organization.slug == "anthropic" else s.value,
            rationale=s.rationale,
            source_ids=tuple(src.pk for src in s.sources.all()),
            citations=tuple(workflow.CitationInput(c.source_id, c.quote) for c in s.citations.all()),
        )
        for s in draft.scores.select_related("criterion", "party__organization").prefetch_related(
            "sources", "citations"
        )
    ]
    workflow.evaluation_version_save(
        version=draft,
        by=editor,
        expected_lock=draft.lock_version,
        scores=scores,
        change_note="The S-1 shows the exit clause.",
    )
    workflow.evaluation_version_submit(version=draft, by=editor)
    workflow.evaluation_version_approve(
        version=draft, by=reviewer, correction_note="Anthropic's dependency was understated: either side may exit."
    )


def test_score_evidence_and_changelog_at_desktop_and_phone(live_server, browser, demo_committed, editor, reviewer):
    from axe_playwright_python.sync_playwright import Axe

    axe, problems = Axe(), []
    _correction(editor, reviewer)
    SCREENS.mkdir(parents=True, exist_ok=True)
    for name, viewport, mobile in (("1280", DESKTOP, False), ("390", PHONE, True)):
        context = browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile)
        page = context.new_page()
        page.goto(f"{live_server.url}/cases/{COLOSSUS}/")
        section = page.locator(".scores-section")
        assert "rest on a quoted passage" in section.inner_text()
        first_quote = page.locator("tr.basis-quoted").first
        if mobile:
            assert not first_quote.locator(".quotes-open").is_visible()
            first_quote.locator("details.quotes summary").click()  # opens without any script
            assert first_quote.locator("details.quotes blockquote").first.is_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        else:
            assert first_quote.locator(".quotes-open blockquote").first.is_visible()
            assert not first_quote.locator("details.quotes").is_visible()
        section.screenshot(path=str(SCREENS / f"score-evidence-{name}.png"))
        assert page.locator(".summary-source a", has_text="What changed in this version").count() == 1

        page.goto(f"{live_server.url}/changes/")
        entry = page.locator(f"#{COLOSSUS}-v2")
        assert "Correction" in entry.inner_text() and "3" in entry.locator("table.moves").inner_text()
        if mobile:
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(SCREENS / f"changelog-{name}.png"), full_page=True)
        for path in (f"/cases/{COLOSSUS}/", "/changes/", "/changes/?organization=anthropic&since=2026-01-01"):
            problems += _axe(axe, page, live_server.url + path)
        context.close()
    assert not problems, "\n".join(problems)


def _axe(axe, page, url: str) -> list[str]:
    """axe-core's serious and critical violations on the page (as tests/cases/test_browser_reader.py checks)."""
    page.goto(url)
    return [
        f"{url} [{page.viewport_size['width']}px] {v['id']} ({v['impact']}): {v['help']}"
        for v in axe.run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
