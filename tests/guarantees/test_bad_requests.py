"""Bad input at the edges that tests/guarantees/test_bad_input_desk.py and tests/cases/test_archive.py leave out.

Oversized bodies and fields, broken formset management data, impossible dates
and times, wrong types, numbers too large for the database, NUL characters,
slugs that collide, malformed cursors on every paginated page: each a form
error or a 400 (never a 500), and nothing half-written.
"""

from __future__ import annotations

import pytest
from django.test import Client

from cases.models import Case, Organization, Party, Source, Tag, TimelineEvent
from core.limits import TEXT_LIMITS
from evaluations.models import Annotation, AuditEntry, EvaluationVersion, Score
from evaluations.services import workflow
from tests.support.content import COLOSSUS
from tests.support.payloads import case_payload, version_payload

pytestmark = pytest.mark.django_db
COUNTED = (Case, Organization, Party, Source, Tag, TimelineEvent, EvaluationVersion, Score, Annotation, AuditEntry)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


class Refusals:
    """Posts that must each be refused with ``status`` (and ``message`` on the page), writing nothing."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.wrong: list = []

    def post(self, url: str, data, message: str = "", status: int = 400, **extra) -> None:
        before = counts()
        response = self.client.post(url, data, **extra)
        body = response.content.decode(errors="replace")
        if response.status_code != status or (message and message not in body) or counts() != before:
            self.wrong.append((url, message, response.status_code, counts() == before))

    def get(self, url: str, params: dict, status: int = 400, message: str = "") -> None:
        response = self.client.get(url, params)
        if response.status_code != status or (message and message not in response.content.decode()):
            self.wrong.append((url, params, response.status_code))


def test_desk_forms_refuse_bad_input_and_write_nothing(demo, editor, reviewer):
    client = Client(raise_request_exception=False)
    client.force_login(editor)
    check = Refusals(client)
    case = Case.objects.get(slug=COLOSSUS)
    draft = workflow.evaluation_version_start(case=case, by=editor)
    edit = f"/desk/versions/{draft.pk}/edit/"
    lock = draft.lock_version

    # Oversized: the whole body, one field, too many fields, too many formset rows.
    check.post(edit, {"narrative": "x" * (3 * 1024 * 1024)})  # beyond DATA_UPLOAD_MAX_MEMORY_SIZE
    limit = TEXT_LIMITS["evaluations.evaluationversion.narrative"]
    check.post(edit, version_payload(draft, narrative="x" * (limit + 1)), "at most 100,000 characters")
    check.post(edit, {f"field{i}": "x" for i in range(1100)})  # beyond DATA_UPLOAD_MAX_NUMBER_FIELDS
    check.post("/desk/cases/new/", case_payload(title="t" * 301), "at most 300 characters")
    huge_formset = {**case_payload(), "sources-TOTAL_FORMS": "100000000"}
    check.post("/desk/cases/new/", huge_formset, "Please submit at most")
    no_management = {k: v for k, v in case_payload().items() if not k.startswith("parties-")}
    check.post("/desk/cases/new/", no_management, "ManagementForm data is missing")

    # Wrong types and numbers the database cannot hold.
    check.post(edit, version_payload(draft, narrative="n", lock_version="abc"))  # a tampered hidden field
    payload = version_payload(draft, narrative="n")
    first_value = next(k for k in payload if k.endswith("-value"))
    check.post(edit, {**payload, first_value: "1.5"}, "Give a whole number from 0 to 4.")
    check.post(edit, {**payload, first_value: "99999999999999999999999"}, "Give a score from 0 to 4.")
    check.post("/desk/cases/new/", case_payload(value_low_usd="1" + "0" * 30, value_high_usd=""), "less than or equal")
    check.post("/desk/cases/new/", case_payload(capacity_mw="1e400"), "")
    check.post("/desk/cases/new/", case_payload(capacity_chips="99999999999999999999999"), "less than or equal to")
    check.post("/desk/cases/new/", case_payload(deal_types=["no-such-type"]), "Select a valid choice")
    check.post("/desk/cases/new/", case_payload(parties=[{"organization": "abc", "role": "customer"}]), "valid choice")
    check.post("/desk/cases/new/", case_payload(title="A \x00 title"), "Null characters are not allowed.")

    # Impossible dates and times.
    check.post("/desk/cases/new/", case_payload(announced_on="99999-01-01"), "Enter a valid date.")
    check.post("/desk/cases/new/", case_payload(announced_on="0000-00-00"), "Enter a valid date.")
    timeline = {"kind": "expanded", "occurred_on": "2026-13-01", "precision": "day"}
    check.post(f"/desk/cases/{case.pk}/timeline/", timeline, "Enter a valid date.")
    check.post(f"/desk/cases/{case.pk}/timeline/", {**timeline, "occurred_on": "2026-06-01", "kind": "x"}, "valid")

    # Review actions: an impossible publication time, an oversized comment, an annotation that quotes nothing.
    workflow.evaluation_version_save(version=draft, by=editor, expected_lock=lock, narrative=draft.narrative)
    workflow.evaluation_version_submit(version=draft, by=editor)
    annotate = f"/desk/versions/{draft.pk}/annotations/"
    check.post(annotate, {"quote": "words not there", "kind": "context", "body": "b"}, "does not appear")
    check.post(annotate, {"quote": draft.narrative[:30], "kind": "rumour", "body": "b"}, "Select a valid choice")
    client.force_login(reviewer)
    approve = f"/desk/versions/{draft.pk}/approve/"
    check.post(approve, {"publish_at": "2026-02-30T10:00"}, "Enter a valid date/time.")
    check.post(approve, {"publish_at": "tomorrow"}, "Enter a valid date/time.")
    check.post(approve, {"publish_at": "", "correction_note": "c" * 5001}, "at most 5,000")
    check.post(f"/desk/versions/{draft.pk}/send-back/", {"comment": "c" * 5001}, "at most 5,000")
    check.post(f"/desk/versions/{draft.pk}/send-back/", {"comment": "   "}, "Say what needs to change")
    draft.refresh_from_db()
    assert draft.state == "in_review"
    assert not check.wrong, check.wrong


def test_duplicate_names_and_slugs_through_the_desk(demo, editor):
    client = Client(raise_request_exception=False)
    client.force_login(editor)
    check = Refusals(client)
    # A name that differs only in punctuation gets its own slug (not a clash in the database).
    assert client.post("/desk/organizations/", {"name": "Anthropic!", "kind": "model_lab"}).status_code == 302
    assert Organization.objects.get(name="Anthropic!").slug != Organization.objects.get(name="Anthropic").slug
    check.post("/desk/organizations/", {"name": " anthropic ", "kind": "model_lab"}, "already exists")
    # Renaming an organization onto another's name.
    mine = Organization.objects.get(name="Anthropic!")
    check.post(f"/desk/organizations/{mine.pk}/edit/", {"name": "xAI", "kind": "model_lab"}, "already exists")
    # Two cases with the same title: two slugs.
    title = Case.objects.get(slug=COLOSSUS).title
    for _ in range(2):
        data = case_payload(title=title, parties=[{"organization": str(mine.pk), "role": "customer"}])
        assert client.post("/desk/cases/new/", data).status_code == 302
    assert Case.objects.filter(title=title).values("slug").distinct().count() == 3
    assert not check.wrong, check.wrong


def test_reader_query_strings_never_cause_a_500(demo, editor):
    client = Client(raise_request_exception=False)
    check = Refusals(client)
    colossus = Case.objects.get(slug=COLOSSUS)
    organization = colossus.parties.first().organization
    for cursor in ("junk", "a" * 5000, "%00", "\x00", "eyJ4IjoxfQ", "bmV4dA=="):
        check.get("/", {"cursor": cursor})
        check.get(f"/organizations/{organization.slug}/", {"cursor": cursor})
        check.get("/organizations/", {"cursor": cursor})
    weird = ["\x00", "a" * 10_000, "' OR 1=1 --", "%", "_", "\\", "<script>", "ü" * 300, "&&||!!::**"]
    for value in weird:
        for name in ("search", "organization", "tag", "deal_type", "risk_min", "announced_after", "sort"):
            check.get("/", {name: value}, status=200)
        check.get(f"/cases/{COLOSSUS}/compare/", {"a": value, "b": value}, status=404)
    check.get("/", {"risk_min": "1e400", "risk_max": "-1e400"}, status=200)
    check.get("/", {"risk_min": "NaN"}, status=200)
    check.get(f"/cases/{COLOSSUS}/compare/", {"a": "99999999999999999999", "b": "1"}, status=404)
    check.get(f"/cases/{COLOSSUS}/versions/99999999999999999999/", {}, status=404)
    check.get("/rubric/partnership-leverage/v99999999999999999999/", {}, status=404)
    client.force_login(editor)
    # The desk's search box refuses a NUL and an overlong query with a form error (the filters' form).
    check.get("/desk/cases/", {"q": "\x00"}, message="Null characters are not allowed")
    check.get("/desk/cases/", {"q": "a" * 10_000}, message="at most")
    for value in ("\x00", "a" * 10_000, "%", "-1", "99999999999999999999"):
        check.get("/desk/cases/", {"q": value[:200].replace("\x00", "x"), "page": value}, status=200)
        check.get(f"/desk/cases/{colossus.pk}/compare/", {"a": value, "b": "1"}, status=400)
    check.get("/desk/versions/99999999999999999999/", {}, status=404)
    assert not check.wrong, check.wrong


def test_api_writes_refuse_bad_bodies_and_write_nothing(demo, editor):
    """What the API tests leave out: broken JSON, oversized and deeply nested bodies, NUL, numbers too large."""
    client = Client(raise_request_exception=False)
    client.force_login(editor)
    check = Refusals(client)
    draft = workflow.evaluation_version_start(case=Case.objects.get(slug=COLOSSUS), by=editor)
    js = "application/json"
    case = {"title": "T", "summary": "S", "announced_on": "2026-03-01"}
    check.post("/api/v1/cases/", '{"title": "unclosed', content_type=js)
    check.post("/api/v1/cases/", "[1, 2, 3]", content_type=js)
    check.post("/api/v1/cases/", "null", content_type=js)
    check.post("/api/v1/cases/", "[" * 5000 + "]" * 5000, content_type=js)
    check.post("/api/v1/cases/", {**case, "summary": "x" * (3 * 1024 * 1024)}, content_type=js)
    check.post("/api/v1/cases/", {**case, "title": "nul \u0000 here"}, content_type=js)
    check.post("/api/v1/cases/", {**case, "value_low_usd": 10**30}, content_type=js)
    check.post("/api/v1/cases/", {**case, "capacity_mw": 1e308}, content_type=js)
    check.post("/api/v1/cases/", {**case, "announced_on": "2026-02-30"}, content_type=js)
    check.post("/api/v1/cases/", {**case, "tags": "not a list"}, content_type=js)
    check.post("/api/v1/organizations/", {"name": ["a", "list"], "kind": "model_lab"}, content_type=js)
    check.post("/api/v1/organizations/", {"name": "Anthropic", "kind": "model_lab"}, content_type=js)
    version = f"/api/v1/evaluation-versions/{draft.pk}/"
    criterion = draft.scores.select_related("criterion").first().criterion.key
    bodies = [
        {"narrative": ["a", "list"]},
        {"narrative": {"an": "object"}},
        {"narrative": "x\u0000y"},
        {"verdict": "v" * 301},
        {"scores": [{"criterion": criterion, "organization": "xai", "value": 10**30}]},
        {"scores": [{"criterion": criterion, "organization": "xai", "value": 2.5}]},
    ]
    for body in bodies:
        before = counts()
        etag = {"If-Match": EvaluationVersion.objects.get(pk=draft.pk).etag}
        response = client.patch(version, body, content_type=js, headers=etag)
        if response.status_code != 400 or counts() != before:
            check.wrong.append((version, body, response.status_code))
    assert EvaluationVersion.objects.get(pk=draft.pk).lock_version == draft.lock_version  # never saved
    assert not check.wrong, check.wrong
