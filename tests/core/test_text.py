"""Text is clean at the door (core.text), and no stored text can break a page (issue 14, findings 1, 2, 6).

Every write path refuses control, private-use and non-characters with a field
error and writes nothing; it normalizes (NFC, LF) what it keeps; bidirectional
and zero-width characters are accepted and render as text. The findings each
have a test here: a narrative holding the renderer's marker characters, a
control character in a name or title under the feeds, a CSV cell that starts a
formula, and a stored marker under the search highlight.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from datetime import date
from xml.etree import ElementTree

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from cases import services as case_services
from cases.models import Case, CaseSearchDocument, Organization, Party, Source, Tag, TimelineEvent
from core.text import text_errors, text_normalize, text_problems, text_tree_normalize, xml_safe
from evaluations import backup
from evaluations.annotated import render_annotated
from evaluations.dbtriggers import frozen_writes_allowed
from evaluations.models import Annotation, EvaluationVersion, RubricVersion
from evaluations.services import annotations, rubric_versions, workflow
from tests.support.payloads import case_payload, version_payload
from tests.support.refusals import case_input, refused

pytestmark = pytest.mark.django_db

# One of each kind the door refuses.
REFUSED = {
    "form feed": "\x0c",
    "escape": "\x1b",
    "NUL": "\x00",
    "DEL": "\x7f",
    "C1 next line": "\x85",
    "private use (the old marker)": "\ue010",
    "private use (plane 15)": "\U000f0001",
    "non-character U+FFFE": "\ufffe",
    "non-character U+1FFFF": "\U0001ffff",
    "non-character U+FDD0": "\ufdd0",
}
# Legitimate in some languages: accepted, rendered as text.
ACCEPTED = {
    "right-to-left mark": "\u200f",
    "right-to-left override": "\u202e",
    "bidi isolate": "\u2067",
    "zero-width joiner": "\u200d",
    "zero-width space": "\u200b",
    "byte order mark": "\ufeff",
}
MESSAGE = "cannot be stored"


# --- the rule -----------------------------------------------------------------


@pytest.mark.parametrize("char", REFUSED.values(), ids=REFUSED.keys())
def test_the_rule_refuses(char):
    assert text_problems(text_normalize(f"a{char}b"))
    assert MESSAGE in text_problems(f"a{char}b")[0]


@pytest.mark.parametrize("char", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_the_rule_accepts_bidi_and_zero_width(char):
    assert text_problems(text_normalize(f"a{char}b")) == []


def test_the_rule_normalizes_nfc_and_line_endings():
    assert text_normalize("Cafe\u0301\r\nnext\rlast\n\ttab") == "Caf\u00e9\nnext\nlast\n\ttab"
    assert text_problems("tab\tand\nnewline") == []
    organization = Organization(name="Zu\u0308rich\r\nLabs", description="a\rb")
    assert text_errors(organization, fields=["name", "description"]) == {}
    assert (organization.name, organization.description) == ("Z\u00fcrich\nLabs", "a\nb")


def test_the_rule_drops_spaces_and_tabs_at_line_ends():
    # Issue 13: text that reads the same is stored the same (a compare shows only real changes).
    assert text_normalize("a  \r\nb\t\rc \n\nd ") == "a\nb\nc\n\nd "
    assert text_normalize("x \t \n y") == "x\n y"  # leading spaces (indented code) stay


def test_xml_safe_drops_only_what_xml_cannot_carry():
    assert xml_safe("a\x0cb\x00c\ufffed\te\n\u202ef") == "abcd\te\n\u202ef"


# --- every service refuses, field by field, and writes nothing ------------------


@pytest.fixture
def draft(demo, editor) -> EvaluationVersion:
    case = Case.objects.filter(status="published").first()
    return workflow.evaluation_version_start(case=case, by=editor)


def test_case_services_refuse_every_text_field(demo, editor):
    for char in REFUSED.values():
        _case_services_refuse(editor, f"x{char}y")


def _case_services_refuse(editor, bad: str) -> None:
    organization = Organization.objects.first()
    P, S = case_services.PartyInput, case_services.SourceInput
    # A never-published case (a published one's facts are written through a version: tests/evaluations/test_facts.py).
    existing = case_services.case_create(
        by=editor,
        data=case_input(
            title=f"Clean {len(bad)} {ord(bad[1])}",
            parties=(P(organization.pk, "customer"),),
            sources=(S("P", "T", "https://e.com"),),
        ),
    )
    attempts = [
        (case_input(title=bad), "title"),
        (case_input(summary=bad), "summary"),
        (case_input(value_note=bad), "value_note"),
        (case_input(capacity_note=bad), "capacity_note"),
        (case_input(tags=(bad,)), "tags"),
        (case_input(parties=(P(organization.pk, "customer", bad),)), "parties[0].note"),
        (case_input(sources=(S(bad, "T", "https://e.com"),)), "sources[0].publisher"),
        (case_input(sources=(S("P", bad, "https://e.com"),)), "sources[0].title"),
        (case_input(sources=(S("P", "T", "https://e.com", claim=bad),)), "sources[0].claim"),
    ]
    for data, field in attempts:
        refused(lambda data=data: case_services.case_create(by=editor, data=data), field, MESSAGE)
        refused(lambda data=data: case_services.case_update(case=existing, by=editor, data=data), field, MESSAGE)
    for name in ("name", "description"):
        fields = {"name": "Clean Labs", "kind": "model_lab", name: f"Clean{bad}"}
        refused(lambda fields=fields: case_services.organization_create(by=editor, **fields), name, MESSAGE)
        refused(
            lambda name=name: case_services.organization_update(organization=organization, by=editor, **{name: bad}),
            name,
            MESSAGE,
        )
    source = existing.sources.first()
    refused(
        lambda: case_services.source_add(case=existing, by=editor, data=S("P", bad, "https://e.com")), "title", MESSAGE
    )
    refused(
        lambda: case_services.source_update(source=source, by=editor, data=S("P", "T", "https://e.com", claim=bad)),
        "claim",
        MESSAGE,
    )
    other = Organization.objects.exclude(parties__case=existing).first()
    refused(
        lambda: case_services.party_add(case=existing, by=editor, data=P(other.pk, "partner", bad)),
        "parties[0].note",
        MESSAGE,
    )
    refused(
        lambda: case_services.timeline_event_add(
            case=existing, by=editor, kind="expanded", occurred_on=date(2026, 4, 1), note=bad
        ),
        "note",
        MESSAGE,
    )
    assert not Organization.objects.filter(name__startswith="Clean").exists()
    assert bad not in set(Tag.objects.values_list("name", flat=True))  # PostgreSQL refuses a NUL in a query


def test_evaluation_services_refuse_every_text_field(draft, editor, reviewer):
    lock = draft.lock_version
    for char in REFUSED.values():
        _draft_services_refuse(draft, editor, char)
    draft.refresh_from_db()
    assert draft.state == EvaluationVersion.State.DRAFT and draft.lock_version == lock
    workflow.evaluation_version_submit(version=draft, by=editor)
    for char in REFUSED.values():
        bad = f"x{char}y"
        refused(
            lambda bad=bad: workflow.evaluation_version_send_back(version=draft, by=reviewer, comment=bad),
            "comment",
            MESSAGE,
        )
        refused(
            lambda bad=bad: workflow.evaluation_version_approve(version=draft, by=reviewer, correction_note=bad),
            "correction_note",
            MESSAGE,
        )
    draft.refresh_from_db()
    assert draft.state == EvaluationVersion.State.IN_REVIEW


def _draft_services_refuse(draft, editor, char: str) -> None:
    bad = f"x{char}y"
    lock = draft.lock_version
    for name in ("narrative", "verdict", "change_note"):
        refused(
            lambda name=name: workflow.evaluation_version_save(
                version=draft, by=editor, expected_lock=lock, **{name: bad}
            ),
            name,
            MESSAGE,
        )
    score = draft.scores.select_related("criterion").first()
    item = workflow.ScoreInput(
        criterion=score.criterion.key, party_id=score.party_id, value=score.value, rationale=bad, source_ids=()
    )
    refused(
        lambda: workflow.evaluation_version_save(version=draft, by=editor, expected_lock=lock, scores=[item]),
        "scores[0]",
        MESSAGE,
    )
    quote = draft.narrative.split()[0]
    for note in (
        annotations.AnnotationInput(quote=quote, kind="context", body=bad),
        annotations.AnnotationInput(quote=f"{quote}{char}", kind="context", body="fine"),
    ):
        add = lambda note=note: annotations.annotation_add(version=draft, by=editor, item=note)  # noqa: E731
        refused(add, "annotations[0]", MESSAGE)
    refused(lambda: workflow.evaluation_version_submit(version=draft, by=editor, comment=bad), "comment", MESSAGE)


def test_rubric_version_text_is_checked(demo, admin_user):
    active = RubricVersion.objects.get(status="active")
    criteria = [
        {"key": c.key, "family": c.family, "weight": str(c.weight), "per_party": c.per_party, "question": c.question}
        for c in active.criteria.all()
    ]
    criteria[0]["question"] = "Who gains\x0c?"
    data = {"version": {"changelog": "new\ue010", "scale": {"labels": ["none", "bad\x1b"]}}, "criteria": criteria}
    with pytest.raises(ValidationError) as info:
        rubric_versions.rubric_version_create(rubric=active.rubric, data=data, by=admin_user)
    errors = info.value.message_dict
    assert {"changelog", "scale_labels", "criteria[0].question"} <= set(errors), errors


@pytest.mark.parametrize("char", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_bidi_and_zero_width_are_accepted_and_shown_as_text(demo, editor, char, client):
    title = f"Deal {char}<b>bold</b>"
    case = case_services.case_create(by=editor, data=case_input(title=title))
    assert Case.objects.get(pk=case.pk).title == title
    client.force_login(editor)
    html = client.get(reverse("desk-case", args=[case.pk])).content.decode()
    assert f"Deal {char}&lt;b&gt;bold&lt;/b&gt;" in html


def test_services_store_text_normalized(draft, editor):
    data = case_input(title="Cafe\u0301 deal", summary="line one\r\nline two\rthree", tags=("Zu\u0308rich",))
    case = case_services.case_create(by=editor, data=data)
    case.refresh_from_db()
    assert case.title == "Caf\u00e9 deal" and case.summary == "line one\nline two\nthree"
    assert list(case.tags.values_list("name", flat=True)) == ["Z\u00fcrich"]
    # A quote sent with the same CRLF as the narrative still anchors once both are normalized.
    narrative = "First line.\r\nThe quoted passage\r\nspans lines."
    workflow.evaluation_version_save(
        version=draft,
        by=editor,
        expected_lock=draft.lock_version,
        narrative=narrative,
        annotations=[annotations.AnnotationInput(quote="passage\r\nspans", kind="context", body="A note\r\n")],
    )
    draft.refresh_from_db()
    assert draft.narrative == "First line.\nThe quoted passage\nspans lines."
    note = draft.annotations.get()
    assert (note.quote, note.body) == ("passage\nspans", "A note\n")
    assert unicodedata.is_normalized("NFC", draft.narrative)


# --- the desk and the admin -------------------------------------------------------


@pytest.fixture
def ed(demo, editor) -> Client:
    client = Client()
    client.force_login(editor)
    return client


@pytest.mark.parametrize("char", ["\x0c", "\ue011", "\uffff"])
def test_desk_case_form_shows_a_field_error_and_saves_nothing(ed, char):
    before = (Case.objects.count(), Organization.objects.count(), Source.objects.count())
    for fields in (
        {"title": f"Bad{char}title"},
        {"summary": f"Bad{char}summary"},
        {"tags": f"fine, bad{char}tag"},
        {"sources": [{"publisher": "P", "title": f"T{char}x", "url": "https://e.com", "published_precision": "day"}]},
    ):
        response = ed.post("/desk/cases/new/", case_payload(**fields))
        assert response.status_code == 400, fields
        html = response.content.decode()
        assert "Nothing was saved" in html and MESSAGE in html, fields
    assert (Case.objects.count(), Organization.objects.count(), Source.objects.count()) == before


def test_desk_organization_and_version_forms_refuse(ed, editor, draft):
    response = ed.post("/desk/organizations/", {"name": "Form\x0cFeed Labs", "kind": "model_lab", "description": ""})
    assert response.status_code == 400 and MESSAGE in response.content.decode()
    assert not Organization.objects.filter(name__startswith="Form").exists()
    lock = draft.lock_version
    url = reverse("desk-version-edit", args=[draft.pk])
    response = ed.post(url, version_payload(draft, narrative="Marker \ue0101\ue011 here"))
    assert response.status_code == 400 and MESSAGE in response.content.decode()
    draft.refresh_from_db()
    assert draft.lock_version == lock and "\ue010" not in draft.narrative


def test_desk_saves_textarea_crlf_as_lf(ed, draft):
    url = reverse("desk-version-edit", args=[draft.pk])
    response = ed.post(url, version_payload(draft, narrative="One.\r\nTwo.\r\n\r\nThree."))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.narrative == "One.\nTwo.\n\nThree."


def test_admin_forms_refuse_and_normalize(demo, admin_user, client):
    client.force_login(admin_user)
    url = reverse("admin:cases_organization_add")
    response = client.post(url, {"name": "Admin\x0cLabs", "slug": "admin-labs", "kind": "model_lab"})
    assert response.status_code == 200 and MESSAGE in response.content.decode()
    assert not Organization.objects.filter(slug="admin-labs").exists()
    response = client.post(
        url, {"name": "Zu\u0308rich Labs", "slug": "zurich-labs", "kind": "model_lab", "description": "a\r\nb"}
    )
    assert response.status_code == 302
    assert Organization.objects.filter(name="Z\u00fcrich Labs", description="a\nb").exists()


# --- the other doors: backup import, demo loader -----------------------------------


def test_backup_import_refuses_text_the_site_refuses(published, tmp_path, django_db_blocker):
    path = tmp_path / "backup.json"
    backup.backup_export(path)
    document = json.loads(path.read_text())
    row = next(r for r in document["objects"] if r["model"] == "cases.organization")
    row["fields"]["name"] = "Feed\x0cLabs"
    path.write_text(json.dumps(document))
    if connection.vendor == "postgresql":
        # Inside the test's transaction, deferred foreign key checks would stop TRUNCATE.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with frozen_writes_allowed():
        call_command("flush", interactive=False, verbosity=0)
    with pytest.raises(backup.BackupError, match=rf"cases.organization {row['pk']} name: contains"):
        backup.backup_import(path)
    assert not Organization.objects.exists()


def test_the_demo_loader_reads_through_the_rule():
    assert text_tree_normalize({"a": ["x\r\ny", {"b": "Cafe\u0301"}], "n": 1}) == {
        "a": ["x\ny", {"b": "Caf\u00e9"}],
        "n": 1,
    }
    with pytest.raises(ValidationError) as info:
        text_tree_normalize({"cases": [{"title": "ok"}, {"title": "bad\x0c"}]}, where="demo_cases.json")
    assert "demo_cases.json.cases[1].title" in info.value.message_dict


# --- finding 1: the renderer's markers in a stored narrative ---------------------


def _store_directly(version: EvaluationVersion, **fields) -> None:
    """Write a published version as text stored before the rule was (the triggers let this one through)."""
    with frozen_writes_allowed():
        EvaluationVersion.objects.filter(pk=version.pk).update(**fields)


FORGED = [
    "Before \ue0109999\ue011forged\ue0129999\ue011 after",  # the marker characters, typed
    "Unbalanced \ue0121\ue011 close and \ue0102\ue011 open",
    "As references &#xE010;9999&#xE011;x&#xE012;9999&#xE011; (decoded by the renderer)",
]


@pytest.mark.parametrize("narrative", FORGED)
def test_marker_characters_in_a_narrative_cannot_break_the_pages(published, client, narrative):
    note = published.annotations.first()
    _store_directly(published, narrative=f"{note.quote} {narrative}")
    case = published.case
    for url in (
        case.get_absolute_url(),
        reverse("case-version", kwargs={"slug": case.slug, "number": published.number}),
        reverse("case-compare", kwargs={"slug": case.slug}) + f"?a=1&b={published.number}",
        f"/api/v1/cases/{case.slug}/versions/{published.number}/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    html = client.get(case.get_absolute_url()).content.decode()
    assert html.count('<mark id="anchor-') == 1  # only the real annotation is marked


def test_marker_references_are_refused_nowhere_but_render_as_text(draft, editor):
    # ASCII character references pass the door; the renderer decodes them, and they stay text.
    narrative = "A &#xE010;1&#xE011;quote&#xE012;1&#xE011; here."
    rendered = render_annotated(narrative, [])
    assert "<mark" not in rendered.html and "</mark>" not in rendered.html


# --- finding 2: control characters under the feeds ------------------------------


def _xml(response) -> ElementTree.Element:
    assert response.status_code == 200
    return ElementTree.fromstring(response.content)  # noqa: S314 - our own output, under test


def test_control_characters_in_stored_names_and_titles_cannot_break_the_feeds(published, client):
    case = published.case
    organization = case.parties.first().organization
    Organization.objects.filter(pk=organization.pk).update(name="Form\x0cFeed\x01 Labs\ufffe")
    Case.objects.filter(pk=case.pk).update(title="A\x0c title\x1b with controls")
    _store_directly(published, verdict="Verdict\x0b here", correction_note="Fixed\x08 it")
    for url in (
        reverse("feed-analyses"),
        reverse("feed-corrections"),
        reverse("organization-feed", kwargs={"slug": organization.slug}),
        reverse("organization-corrections-feed", kwargs={"slug": organization.slug}),
        reverse("sitemap"),
    ):
        _xml(client.get(url))
    feed = client.get(reverse("organization-feed", kwargs={"slug": organization.slug})).content.decode()
    assert "FormFeed Labs" in feed and "A title with controls" in feed


# --- finding 6: CSV formulas and search highlights --------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_never_start_a_formula(published, client, start):
    case = published.case
    Case.objects.filter(pk=case.pk).update(title=f'{start}HYPERLINK("https://evil.example","x")')
    organization = case.parties.first().organization
    Organization.objects.filter(pk=organization.pk).update(name=f"{start}cmd|' /C calc'!A0")
    body = b"".join(client.get("/api/v1/export/cases.csv").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    row = next(r for r in rows if r["slug"] == case.slug)
    assert row["title"] == f'\'{start}HYPERLINK("https://evil.example","x")'
    assert row["parties"].startswith("'") or not row["parties"].startswith(start)
    for cell in (value for r in rows for value in r.values()):
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell


def test_stored_text_cannot_inject_marks_into_search_highlights(published, client):
    case = published.case
    word = max((w for w in case.title.split() if w.isalpha()), key=len)  # in the search vector already
    CaseSearchDocument.objects.filter(case_id=case.pk).update(
        summary=f"{word} \ue001</mark> closes \ue000 opens <mark>typed</mark> &amp; more {word}"
    )
    html = client.get(reverse("home"), {"search": word}).content.decode()
    # Every mark wraps the word searched for: none comes from the stored text.
    assert html.count("<mark>") == html.count("</mark>") == html.count(f"<mark>{word}</mark>") >= 1
    assert "<mark>typed" not in html  # shown escaped (or left out of PostgreSQL's headline)


def test_annotations_and_scores_of_the_full_fixture_still_render(published, client):
    # The per-render token changes nothing for real annotations.
    html = client.get(published.case.get_absolute_url()).content.decode()
    assert html.count('<mark id="anchor-') == Annotation.objects.filter(version=published, orphaned=False).count()
    assert Party.objects.filter(case=published.case).exists() and TimelineEvent.objects.exists()
