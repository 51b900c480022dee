"""Double scoring through the desk and the API, and the blind rule through every path that shows a
version: before both editors have submitted, nobody but the scorer reads their scores (the double
scoring page and endpoint, the version GET, revisions list and detail, revision compare, the version
page with its audit log, the reconciliation queue)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import Case
from evaluations.models import AuditEntry, DoubleScoring, Reconciliation, Revision, Score
from evaluations.services import workflow

COLOSSUS = "xai-anthropic-colossus-1"


def api(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def desk(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def draft(demo, editor):
    return workflow.evaluation_version_start(case=Case.objects.get(slug=COLOSSUS), by=editor)


def full_sheet(version, value=None, **changes):
    """The API's body: every criterion for every party (value ``value`` or the version's current score)."""
    current = {(s.criterion.key, s.party_id): s.value for s in version.scores.select_related("criterion")}
    rows = []
    for criterion in version.evaluation.rubric_version.criteria.all():
        for party in version.case.parties.order_by("position"):
            key = (criterion.key, party.pk)
            v = value if value is not None else current.get(key, 1)
            rows.append({"criterion": criterion.key, "party_id": party.pk, "value": changes.get(criterion.key, v)})
    return rows


def scores_of(version) -> set:
    return set(Score.objects.filter(version=version).values_list("criterion__key", "party_id", "value"))


def test_through_the_api_blind_then_settled(draft, editor, editor2, reviewer, reader):
    url = reverse("api:version-double-scoring", kwargs={"pk": draft.pk})
    assert (
        api(editor).post(url, {"first_scorer": "editor", "second_scorer": "editor2"}, format="json").status_code == 403
    )
    assert (
        api(reviewer).post(url, {"first_scorer": "editor", "second_scorer": "nobody"}, format="json").status_code == 400
    )
    response = api(reviewer).post(url, {"first_scorer": "editor", "second_scorer": "editor2"}, format="json")
    assert response.status_code == 201, response.content
    assert api(reader).get(url).status_code == 404  # a draft: not for readers
    submit = reverse("api:version-double-scoring-submit", kwargs={"pk": draft.pk})
    assert api(editor).post(submit, {"scores": "nope"}, format="json").status_code == 400
    assert api(reviewer).post(submit, {"scores": full_sheet(draft)}, format="json").status_code == 403
    before_scores = scores_of(draft)
    revisions_before = Revision.objects.filter(version=draft).count()
    # The first editor submits distinctive scores: all 4, dependency 0.
    response = api(editor).post(submit, {"scores": full_sheet(draft, 4, dependency=0)}, format="json")
    assert response.status_code == 200, response.content
    assert all(row["first"] in (0, 4) and row["second"] is None for row in response.json()["rows"])

    # --- Blind: the other editor and a reviewer, through every path ---------------------------
    for other in (editor2, reviewer):
        body = api(other).get(url).json()
        assert body["first_submitted"] and body["rows"] == [], other
        version_json = api(other).get(reverse("api:version", kwargs={"pk": draft.pk})).json()
        assert {(s["criterion"], s["value"]) for s in version_json["scores"]} == {(k, v) for k, _, v in before_scores}
        revisions = api(other).get(reverse("api:version-revisions", kwargs={"pk": draft.pk})).json()
        revision_list = revisions["results"] if isinstance(revisions, dict) else revisions
        assert len(revision_list) == revisions_before + 1
        latest = (
            api(other)
            .get(reverse("api:version-revision", kwargs={"pk": draft.pk, "number": revisions_before + 1}))
            .json()
        )
        previous = (
            api(other).get(reverse("api:version-revision", kwargs={"pk": draft.pk, "number": revisions_before})).json()
        )
        # The scorer's revision keeps nothing of their scores: its content is the previous one's.
        parts = ("narrative", "verdict", "change_note", "scores", "annotations")
        assert [latest[k] for k in parts] == [previous[k] for k in parts]
    page = desk(editor2).get(reverse("desk-double-scoring", kwargs={"pk": draft.pk}))
    assert page.status_code == 200 and page.context["view"].rows == [] and page.context["can_submit"]
    page = desk(reviewer).get(reverse("desk-double-scoring", kwargs={"pk": draft.pk}))
    assert page.context["view"].rows == [] and not page.context["can_settle"]
    version_page = desk(editor2).get(reverse("desk-version", kwargs={"pk": draft.pk}))
    assert scores_of(version_page.context["version"]) == before_scores
    compare = desk(editor2).get(
        reverse("desk-revision-compare", kwargs={"pk": draft.pk}), {"a": revisions_before, "b": revisions_before + 1}
    )
    assert compare.status_code == 200
    assert compare.context["changes"].comparison.changed_scores == ()
    assert not any(
        ch.isdigit()
        for ch in " ".join(
            AuditEntry.objects.filter(evaluation_version=draft, action="double_submit").values_list(
                "comment", flat=True
            )
        )
    )
    queue = desk(reviewer).get(reverse("desk-reconciliation"))
    assert list(queue.context["queue"]) == []
    assert [d.version_id for d in desk(editor2).get(reverse("desk-reconciliation")).context["waiting"]] == [draft.pk]

    # --- The second editor submits: the differences open to the newsroom --------------------
    response = api(editor2).post(submit, {"scores": full_sheet(draft, 4)}, format="json")
    assert response.status_code == 200
    rows = api(reviewer).get(url).json()["rows"]
    differences = [row for row in rows if row["difference_id"]]
    assert differences and all(row["first"] == 0 and row["second"] == 4 for row in differences)
    settle = reverse(
        "api:version-double-scoring-settle", kwargs={"pk": draft.pk, "difference": differences[0]["difference_id"]}
    )
    assert api(reviewer).post(settle, {"value": 2}, format="json").status_code == 400
    assert api(reader).post(settle, {"value": 2, "note": "x"}, format="json").status_code in (403, 404)
    for row in differences:
        settle = reverse(
            "api:version-double-scoring-settle", kwargs={"pk": draft.pk, "difference": row["difference_id"]}
        )
        assert api(editor).post(settle, {"value": 2, "note": "Ninety days' notice."}, format="json").status_code == 200
    assert api(editor).post(settle, {"value": 2, "note": "again"}, format="json").status_code == 409
    body = api(reviewer).get(url).json()
    assert body["settled"] and body["statement"] == "scored independently by two editors; settled"
    assert DoubleScoring.objects.get(version=draft).settled_at is not None


def test_through_the_desk(draft, editor, editor2, reviewer):
    url = reverse("desk-double-scoring", kwargs={"pk": draft.pk})
    page = desk(reviewer).get(url)
    assert page.status_code == 200 and page.context["can_request"]
    assert (
        desk(editor)
        .post(url, {"action": "request", "first_scorer": editor.pk, "second_scorer": editor2.pk})
        .status_code
        == 403
    )
    assert (
        desk(reviewer)
        .post(url, {"action": "request", "first_scorer": editor.pk, "second_scorer": editor.pk})
        .status_code
        == 400
    )
    assert desk(reviewer).post(url, {"action": "nonsense"}).status_code == 400
    response = desk(reviewer).post(url, {"action": "request", "first_scorer": editor.pk, "second_scorer": editor2.pk})
    assert response.status_code == 302
    page = desk(editor).get(url)
    sheet = page.context["sheet"]
    assert desk(editor).post(url, {"action": "submit", **{row.prefix: "x" for row in sheet}}).status_code == 400
    values = {row.prefix: "3" for row in sheet}
    assert desk(editor).post(url, {"action": "submit", **values}).status_code == 302
    values[sheet[0].prefix] = "0"
    assert desk(editor2).post(url, {"action": "submit", **values}).status_code == 302
    reconciliation = Reconciliation.objects.get(version=draft)
    queue = desk(reviewer).get(reverse("desk-reconciliation"))
    assert [r.pk for r in queue.context["queue"]] == [reconciliation.pk]
    assert b"3 and 0" in queue.content
    assert (
        desk(reviewer).post(url, {"action": "settle", "reconciliation": reconciliation.pk, "value": "2"}).status_code
        == 400
    )
    assert (
        desk(reviewer).post(url, {"action": "settle", "reconciliation": 10**9, "value": "2", "note": "x"}).status_code
        == 404
    )
    response = desk(reviewer).post(
        url, {"action": "settle", "reconciliation": reconciliation.pk, "value": "2", "note": "Half way."}
    )
    assert response.status_code == 302
    assert list(desk(reviewer).get(reverse("desk-reconciliation")).context["queue"]) == []
    page = desk(editor2).get(url)
    assert page.context["view"].settled and b"Half way." in page.content


def test_the_published_case_page_and_api_say_it_was_scored_twice(demo, client):
    response = client.get(reverse("case-detail", kwargs={"slug": "microsoft-openai"}))
    assert b"Scored independently by two editors; settled." in response.content
    assert b"durable claim" in response.content  # a settlement's note
    assert b"moatwatch-scorer" not in response.content  # no login names for readers
    body = (
        api(None)
        .get(reverse("api:case-version-double-scoring", kwargs={"slug": "microsoft-openai", "number": 1}))
        .json()
    )
    assert body["statement"] == "scored independently by two editors; settled" and len(body["rows"]) == 12
    assert sum(1 for row in body["rows"] if row["note"]) == 2
    version = api(None).get(reverse("api:case-version", kwargs={"slug": "microsoft-openai", "number": 1})).json()
    assert version["scoring"] == "scored independently by two editors; settled"
    colossus = api(None).get(reverse("api:case-version", kwargs={"slug": COLOSSUS, "number": 1})).json()
    assert colossus["scoring"] == "scored by the editors"
    missing = api(None).get(reverse("api:case-version-double-scoring", kwargs={"slug": COLOSSUS, "number": 1}))
    assert missing.status_code == 404
    other = client.get(reverse("case-detail", kwargs={"slug": COLOSSUS}))
    assert b"Scored independently" not in other.content


def test_the_rubric_page_and_api_publish_the_agreement(demo, client, django_assert_num_queries):
    url = reverse("rubric-version", kwargs={"rubric_slug": "partnership-leverage", "number": 1})
    client.get(url)
    with django_assert_num_queries(5):
        response = client.get(url)
    assert b"How consistently editors score it" in response.content and b"1 case</strong>" in response.content
    body = (
        api(None)
        .get(reverse("api:rubric-version-agreement", kwargs={"slug": "partnership-leverage", "number": 1}))
        .json()
    )
    assert body["cases"] == 1 and body["units"] == 12 and body["measure"] == "Krippendorff's alpha, ordinal"
    assert len(body["criteria"]) == 6


def test_desk_pages_have_fixed_query_counts(demo, reviewer, django_assert_num_queries):
    # Each desk page counts the navigation's unread notifications (one query).
    client = desk(reviewer)
    version = Case.objects.get(slug="microsoft-openai").evaluation_versions.get()
    client.get(reverse("desk-reconciliation"))
    with django_assert_num_queries(7):
        client.get(reverse("desk-reconciliation"))
    client.get(reverse("desk-double-scoring", kwargs={"pk": version.pk}))
    with django_assert_num_queries(15):
        client.get(reverse("desk-double-scoring", kwargs={"pk": version.pk}))
