"""Diffs that tell the truth (issue 13, item 5): failure 4 of "What is wrong now", reproduced.

Browsers submit CRLF, other clients LF, and text stored before the rule kept
whatever it was sent: the first desk save of a case made the public compare
page strike out and re-add every paragraph, in raw Markdown. Now the rule
(core.text) drops CRs and spaces at line ends on every write, migration 0009
normalizes what was stored (frozen rows included), and the narrative diff
compares the rendered prose. Property: two versions whose normalized content
is equal compare with no change, on the public page and in the API.
"""

from __future__ import annotations

from importlib import import_module
from itertools import count
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Case
from core.text import text_normalize
from evaluations.compare import compare_versions
from evaluations.dbtriggers import frozen_writes_allowed
from evaluations.models import Annotation, Evaluation, EvaluationVersion, Score
from evaluations.services import workflow
from tests.support.content import checklist_cleared
from tests.support.payloads import version_payload

pytestmark = pytest.mark.django_db

_serial = count(1)


def _diff_section(page: str) -> str:
    return page.split('id="narrative-h"')[1].split("</section>")[0]


def _ops(api_body: dict) -> set[str]:
    return {line["op"] for line in api_body["narrative"]}


def _legacy(version: EvaluationVersion, narrative: str) -> None:
    """Text as it was stored before the rule (a published version: through the triggers' escape hatch)."""
    with frozen_writes_allowed():
        EvaluationVersion.objects.filter(pk=version.pk).update(narrative=narrative)


def _public_compare(case: Case, a: int, b: int) -> tuple[str, dict]:
    page = Client().get(f"/cases/{case.slug}/compare/", {"a": a, "b": b})
    api = Client().get(f"/api/v1/cases/{case.slug}/versions/compare/", {"a": a, "b": b})
    assert page.status_code == 200 and api.status_code == 200
    return _diff_section(page.content.decode()), api.json()


def test_an_unchanged_narrative_saved_from_a_browser_compares_as_no_change(published_case, editor, reviewer):
    old = published_case.evaluation_versions.get(state="published")
    # Stored with LF and trailing spaces elsewhere; the browser sends the same text back with CRLF.
    text = "Anthropic gains **compute** now.  \nIt adds a supplier.\n\n## Risk\n\n- a rival's site\n- its politics"
    _legacy(old, text)
    ed = Client()
    ed.force_login(editor)
    assert ed.post(f"/desk/cases/{published_case.pk}/evaluate/").status_code == 302
    draft = EvaluationVersion.objects.get(case=published_case, state="draft")
    payload = version_payload(draft, narrative=text.replace("\n", "\r\n"), verdict=old.verdict)
    assert ed.post(f"/desk/versions/{draft.pk}/edit/", payload).status_code == 302
    draft.refresh_from_db()
    assert "\r" not in draft.narrative and "  \n" not in draft.narrative
    checklist_cleared(draft, editor)  # the new text left the margin notes without a passage
    workflow.evaluation_version_submit(version=draft, by=editor)
    workflow.evaluation_version_approve(version=draft, by=reviewer)
    section, body = _public_compare(published_case, old.number, draft.number)
    assert "No change to the narrative." in section and "<del>" not in section and "<ins>" not in section
    assert _ops(body) == {"equal"} and body["narrative_changed"] is False


def test_a_real_change_through_the_api_is_marked_as_prose_not_markdown(draft_version, editor, reviewer, client_for):
    old = draft_version.case.evaluation_versions.get(state="published")
    _legacy(old, "The lease is **exclusive**.\r\n\r\nIt runs for *two* years.  \r\n")
    client = client_for(editor)
    url = f"/api/v1/evaluation-versions/{draft_version.pk}/"
    body = {"narrative": "The lease is **exclusive**.  \r\n\r\nIt runs for *three* years.\t\r\n"}
    assert client.patch(url, body, format="json", HTTP_IF_MATCH=draft_version.etag).status_code == 200
    draft_version.refresh_from_db()  # stored normalized: LF, nothing at the line ends
    assert draft_version.narrative == "The lease is **exclusive**.\n\nIt runs for *three* years.\n"
    checklist_cleared(draft_version, editor)  # the new text left the margin notes without a passage
    workflow.evaluation_version_submit(version=draft_version, by=editor)
    workflow.evaluation_version_approve(version=draft_version, by=reviewer)
    section, api = _public_compare(draft_version.case, old.number, draft_version.number)
    assert [(line["op"], line["text"]) for line in api["narrative"]] == [
        ("equal", "The lease is exclusive.\n\nIt runs for"),
        ("delete", "two"),
        ("insert", "three"),
        ("equal", "years."),
    ]
    assert "<del>two</del>" in section and "<ins>three</ins>" in section
    assert "**" not in section and "*two*" not in section  # rendered text, not Markdown syntax
    assert "exclusive.<br><br>It runs" in section  # paragraphs stay paragraphs


# --- The property ------------------------------------------------------------------

_WORD = st.text(alphabet="abcXYZ*_#`.,'-", min_size=1, max_size=6)
_SPACE = st.sampled_from([" ", "  ", "\t"])
_BREAK = st.sampled_from(["\n", "\n\n"])


@st.composite
def narratives(draw) -> str:
    """Markdown-ish text: words, spaces, line and paragraph breaks."""
    parts = []
    for _ in range(draw(st.integers(min_value=0, max_value=25))):
        parts.append(draw(_WORD))
        parts.append(draw(st.one_of(_SPACE, _BREAK)))
    return "".join(parts).strip(" \t")


@st.composite
def noisy(draw, text: str) -> str:
    """The same text as another client sends it: CRLF or CR line endings, spaces and tabs at line ends."""
    lines = text.split("\n")
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return ending.join(line + draw(st.sampled_from(["", " ", "  ", "\t", " \t "])) for line in lines[:-1]) + (
        ending + lines[-1] if len(lines) > 1 else lines[-1]
    )


@st.composite
def equal_pairs(draw) -> tuple[str, str]:
    text = draw(narratives())
    a, b = draw(noisy(text)), draw(noisy(text))
    assert text_normalize(a) == text_normalize(b)
    return a, b


def _stand_in(narrative: str) -> SimpleNamespace:
    return SimpleNamespace(scores=SimpleNamespace(all=list), narrative=narrative, verdict="v", facts={})


@given(equal_pairs())
@settings(max_examples=300, deadline=None)
def test_equal_after_normalization_compares_with_no_change(pair):
    comparison = compare_versions(_stand_in(pair[0]), _stand_in(pair[1]))
    assert not comparison.narrative_changed
    assert {line.op for line in comparison.narrative} <= {"equal"}


@given(narratives(), narratives())
@settings(max_examples=200, deadline=None)
def test_the_diff_keeps_every_word_of_both_sides(before, after):
    lines = compare_versions(_stand_in(before), _stand_in(after)).narrative
    kept_before = " ".join(line.text for line in lines if line.op != "insert").split()
    kept_after = " ".join(line.text for line in lines if line.op != "delete").split()
    # What a reader sees of each side, in order: the diff loses and invents nothing.
    assert kept_before == _words(before) and kept_after == _words(after)


def _words(markdown: str) -> list[str]:
    lines = compare_versions(_stand_in(markdown), _stand_in(markdown)).narrative
    return " ".join(line.text for line in lines).split()


def _published_pair(a: str, b: str, author) -> Case:
    """A published case whose versions 1 and 2 hold ``a`` and ``b`` as stored (the rule bypassed, as
    for text stored before it)."""
    n = next(_serial)
    case = Case.objects.create(
        title=f"Property case {n}", slug=f"property-case-{n}", summary="s", announced_on="2026-01-01",
        status=Case.Status.PUBLISHED, first_published_at=timezone.now(),
    )  # fmt: skip
    rubric_version = apps.get_model("evaluations", "RubricVersion").objects.get(status="active")
    evaluation = Evaluation.objects.create(case=case, rubric_version=rubric_version)
    now = timezone.now()
    for number, (state, text) in enumerate([("superseded", a), ("published", b)], start=1):
        EvaluationVersion.objects.create(
            evaluation=evaluation, case=case, number=number, author=author, state=state, narrative=text,
            verdict="same", published_at=now, published_by=author,
        )  # fmt: skip
    return case


@given(equal_pairs())
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_equal_after_normalization_shows_no_change_on_the_page_and_in_the_api(demo, reviewer, pair):
    case = _published_pair(*pair, reviewer)
    section, body = _public_compare(case, 1, 2)
    assert "No change to the narrative." in section and "<del>" not in section and "<ins>" not in section
    assert _ops(body) <= {"equal"} and body["narrative_changed"] is False


# --- The data migration ----------------------------------------------------------


def test_the_migration_normalizes_stored_text_frozen_rows_included(published):
    migration = import_module("evaluations.migrations.0010_schedule_normalize_stored_text")
    with frozen_writes_allowed():  # text as it was stored before the rule
        EvaluationVersion.objects.filter(pk=published.pk).update(
            narrative="One.  \r\nTwo.\r\rThree.\t\n", verdict="A lease.\r\nNot a moat. "
        )
        Score.objects.filter(version=published).update(rationale="Because\r\nof the lease.  \r\n")
        Annotation.objects.filter(version=published).update(body="See\r\nthe filing. \n")
    Case.objects.filter(pk=published.case_id).update(summary="A lease \r\nof a site.")
    migration.normalize_stored_text(apps, SimpleNamespace(connection=connection))
    published.refresh_from_db()
    assert published.state == "published"
    assert published.narrative == "One.\nTwo.\n\nThree.\n"
    assert published.verdict == "A lease.\nNot a moat. "  # the end of a value is the form's business
    assert set(Score.objects.filter(version=published).values_list("rationale", flat=True)) == {
        "Because\nof the lease.\n"
    }
    assert all("\r" not in body and " \n" not in body for body in Annotation.objects.values_list("body", flat=True))
    assert Case.objects.get(pk=published.case_id).summary == "A lease\nof a site."
    # The escape hatch closed behind it: the published row is frozen again.
    with pytest.raises(DatabaseError), transaction.atomic():
        EvaluationVersion.objects.filter(pk=published.pk).update(narrative="changed")
    # Run twice, it changes nothing more.
    migration.normalize_stored_text(apps, SimpleNamespace(connection=connection))
    published.refresh_from_db()
    assert published.narrative == "One.\nTwo.\n\nThree.\n"
