"""Editors' writes through the API: every write endpoint for every role, the review
workflow with its 403/409, optimistic locking (412/428), rubric versions, tokens,
throttling, and the round trip from a new case to a published analysis."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

import evaluations
from cases.models import Case, Organization
from evaluations.models import EvaluationVersion, RubricVersion
from evaluations.services import rubric_versions
from tests.support.accounts import PASSWORD
from tests.support.payloads import CASE_BODY

ROLES = ["anonymous", "reader", "editor", "editor2", "reviewer", "admin"]
NEWSROOM = ["editor", "editor2", "reviewer", "admin"]


def test_token(demo, reader, api_client):
    response = api_client.post("/api/v1/auth/token/", {"username": "reader", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    again = api_client.post("/api/v1/auth/token/", {"username": "reader", "password": PASSWORD}, format="json")
    assert again.json()["token"] == token
    wrong = api_client.post("/api/v1/auth/token/", {"username": "reader", "password": "nope"}, format="json")
    assert wrong.status_code == 400 and "non_field_errors" in wrong.json()
    assert api_client.post("/api/v1/auth/token/", {}, format="json").status_code == 400
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api_client.get("/api/v1/cases/").status_code == 401


def test_session_auth_works_too(demo, editor, api_client):
    api_client.force_login(editor)
    assert api_client.post("/api/v1/cases/", CASE_BODY, format="json").status_code == 201


# --- Every write, refused to those who may not -------------------------------------


def _write_calls(case: Case, version: EvaluationVersion, published: EvaluationVersion) -> list[tuple[str, str, dict]]:
    slug = case.slug
    return [
        ("post", "/api/v1/cases/", CASE_BODY),
        ("patch", f"/api/v1/cases/{slug}/", {"title": "New"}),
        ("post", f"/api/v1/cases/{slug}/parties/", {"organization": "openai", "role": "partner"}),
        ("delete", f"/api/v1/cases/{slug}/parties/xai/", {}),
        ("post", f"/api/v1/cases/{slug}/sources/", CASE_BODY["sources"][0]),
        ("put", f"/api/v1/cases/{slug}/sources/{case.sources.first().pk}/", CASE_BODY["sources"][0]),
        ("delete", f"/api/v1/cases/{slug}/sources/{case.sources.first().pk}/", {}),
        ("post", "/api/v1/organizations/", {"name": "New Org", "kind": "investor"}),
        ("patch", "/api/v1/organizations/xai/", {"description": "x"}),
        ("post", f"/api/v1/cases/{slug}/evaluations/", {}),
        ("patch", f"/api/v1/evaluation-versions/{published.pk}/", {"narrative": "x"}),
        ("post", f"/api/v1/evaluation-versions/{version.pk}/submit/", {}),
        ("post", f"/api/v1/evaluation-versions/{version.pk}/send-back/", {"comment": "no"}),
        ("post", f"/api/v1/evaluation-versions/{version.pk}/publish/", {}),
        ("post", "/api/v1/rubrics/partnership-leverage/versions/", {"version": {}, "criteria": []}),
        ("patch", "/api/v1/rubrics/partnership-leverage/versions/1/", {"version": {"changelog": "x"}}),
        ("post", "/api/v1/rubrics/partnership-leverage/versions/1/activate/", {}),
    ]


def test_anonymous_writes_are_401(published_case, draft_version, api_client):
    published = EvaluationVersion.objects.get(case=published_case, state="published")
    for method, url, body in _write_calls(published_case, draft_version, published):
        response = getattr(api_client, method)(url, body, format="json")
        assert response.status_code == 401, (method, url, response.status_code)
        assert response["WWW-Authenticate"].startswith("Token")
    assert Case.objects.count() == Case.objects.filter(slug__in=Case.objects.values("slug")).count()


def test_reader_writes_are_403_or_404(published_case, draft_version, reader, client_for):
    client = client_for(reader)
    published = EvaluationVersion.objects.get(case=published_case, state="published")
    before = (Case.objects.count(), Organization.objects.count(), RubricVersion.objects.count())
    for method, url, body in _write_calls(published_case, draft_version, published):
        headers = {"HTTP_IF_MATCH": published.etag} if "evaluation-versions" in url else {}
        response = getattr(client, method)(url, body, format="json", **headers)
        # Drafts are invisible to readers: 404, not a 403 that would say they exist.
        expected = 404 if f"/evaluation-versions/{draft_version.pk}/" in url else 403
        assert response.status_code == expected, (method, url, response.status_code, response.content)
    assert before == (Case.objects.count(), Organization.objects.count(), RubricVersion.objects.count())
    assert Case.objects.get(pk=published_case.pk).title == published_case.title


NEWSROOM_BUT_ADMINS = ["editor", "editor2", "reviewer"]


def test_rubric_writes_are_for_admins(demo, roles, client_for):
    for role in NEWSROOM_BUT_ADMINS:
        client = client_for(roles[role])
        assert client.post("/api/v1/rubrics/partnership-leverage/versions/", {}, format="json").status_code == 403
        assert client.patch("/api/v1/rubrics/partnership-leverage/versions/1/", {}, format="json").status_code == 403
        url = "/api/v1/rubrics/partnership-leverage/versions/1/activate/"
        assert client.post(url, {}, format="json").status_code == 403


# --- Cases, parties, sources, organizations ---------------------------------------------


def test_case_create_for_every_newsroom_role_and_read_back_in_the_same_shape(demo, roles, client_for):
    for role in NEWSROOM:
        body = {**CASE_BODY, "title": f"{CASE_BODY['title']} ({role})"}
        response = client_for(roles[role]).post("/api/v1/cases/", body, format="json")
        assert response.status_code == 201, response.content
        case = response.json()
        assert response["Location"].endswith(f"/api/v1/cases/{case['slug']}/")
        assert case["status"] == "draft"
        assert case["title"] == body["title"] and case["summary"] == body["summary"]
        assert case["announced_on"] == body["announced_on"] and case["deal_types"] == body["deal_types"]
        assert sorted(case["tags"]) == sorted(body["tags"])
        assert [{"organization": p["organization"], "role": p["role"]} for p in case["parties"]] == body["parties"]
        assert [{k: s[k] for k in ("publisher", "title", "url", "published_on")} for s in case["sources"]] == body[
            "sources"
        ]
        assert [e["kind"] for e in case["timeline"]] == ["announced"]


BAD_CASE_BODIES = [
    ({**CASE_BODY, "title": ""}, "title"),
    ({k: v for k, v in CASE_BODY.items() if k != "summary"}, "summary"),
    ({**CASE_BODY, "announced_on": "yesterday"}, "announced_on"),
    ({**CASE_BODY, "deal_types": ["no_such_type"]}, "deal_types"),
    ({**CASE_BODY, "parties": [{"organization": "nobody", "role": "provider"}]}, "parties[0].organization"),
    ({**CASE_BODY, "parties": [{"organization": "xai", "role": "king"}]}, "parties"),
    (
        {**CASE_BODY, "parties": [{"organization": "xai", "role": "provider"}] * 2},
        "parties[1].organization",
    ),
    ({**CASE_BODY, "sources": [{"publisher": "P", "title": "T", "url": "not a url"}]}, "sources"),
    ({**CASE_BODY, "value_low_usd": 10, "value_high_usd": 5}, "value_high_usd"),
    ({**CASE_BODY, "tags": "not-a-list"}, "tags"),
]


def test_case_create_bad_input_is_400_field_by_field(demo, editor, client_for):
    for body, field in BAD_CASE_BODIES:
        before = Case.objects.count()
        response = client_for(editor).post("/api/v1/cases/", body, format="json")
        assert response.status_code == 400
        assert field in response.json(), response.json()
        assert Case.objects.count() == before


def test_non_json_body_is_refused(demo, editor, client_for):
    response = client_for(editor).post("/api/v1/cases/", "title=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_case_update(published_case, editor2, client_for):
    client = client_for(editor2)
    url = f"/api/v1/cases/{published_case.slug}/"
    parties = [{"organization": p.organization.slug, "role": p.role} for p in published_case.parties.all()]
    response = client.patch(url, {"title": "Renamed", "tags": ["Renamed"], "parties": parties}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Renamed" and response.json()["tags"] == ["Renamed"]
    case = Case.objects.get(pk=published_case.pk)
    assert case.summary == published_case.summary and case.deal_types.exists()
    assert client.patch(url, {"announced_on": "never"}, format="json").status_code == 400
    # Fields may be left out of an update, but a party or a source given must be whole.
    response = client.patch(url, {"sources": [{"publisher": "P", "title": "T"}]}, format="json")
    assert response.status_code == 400 and "url" in str(response.json()["sources"])
    response = client.patch(url, {"parties": [{"role": "provider"}]}, format="json")
    assert response.status_code == 400 and "organization" in str(response.json()["parties"])
    # A party scored in the published analysis stays on the record.
    response = client.patch(url, {"parties": parties[:1]}, format="json")
    assert response.status_code == 400 and "parties" in response.json()
    assert client.patch("/api/v1/cases/nothing/", {"title": "x"}, format="json").status_code == 404


def test_parties_and_sources(published_case, editor, client_for):
    client = client_for(editor)
    slug = published_case.slug
    added = client.post(f"/api/v1/cases/{slug}/parties/", {"organization": "openai", "role": "partner"}, format="json")
    assert added.status_code == 201 and added.json()["organization"] == "openai"
    twice = client.post(f"/api/v1/cases/{slug}/parties/", {"organization": "openai", "role": "partner"}, format="json")
    assert twice.status_code == 400
    unknown = client.post(
        f"/api/v1/cases/{slug}/parties/", {"organization": "nobody", "role": "partner"}, format="json"
    )
    assert unknown.status_code == 400 and "organization" in unknown.json()
    assert client.delete(f"/api/v1/cases/{slug}/parties/openai/").status_code == 204
    assert client.delete(f"/api/v1/cases/{slug}/parties/openai/").status_code == 404
    scored = published_case.parties.first().organization.slug
    assert client.delete(f"/api/v1/cases/{slug}/parties/{scored}/").status_code == 400
    source = client.post(f"/api/v1/cases/{slug}/sources/", CASE_BODY["sources"][0], format="json")
    assert source.status_code == 201
    source_url = f"/api/v1/cases/{slug}/sources/{source.json()['id']}/"
    changed = client.put(source_url, {**CASE_BODY["sources"][0], "title": "Changed"}, format="json")
    assert changed.status_code == 200 and changed.json()["title"] == "Changed"
    assert client.put(source_url, {"title": "no url"}, format="json").status_code == 400
    assert client.delete(source_url).status_code == 204
    assert client.delete(source_url).status_code == 404


def test_organizations(demo, editor, client_for):
    client = client_for(editor)
    created = client.post("/api/v1/organizations/", {"name": "Example Capital", "kind": "investor"}, format="json")
    assert created.status_code == 201 and created.json()["slug"] == "example-capital"
    duplicate = client.post("/api/v1/organizations/", {"name": "example capital", "kind": "investor"}, format="json")
    assert duplicate.status_code == 400 and "name" in duplicate.json()
    assert client.post("/api/v1/organizations/", {"name": "X", "kind": "bank"}, format="json").status_code == 400
    edited = client.patch("/api/v1/organizations/example-capital/", {"description": "Money."}, format="json")
    assert edited.status_code == 200 and edited.json()["description"] == "Money."
    assert client.patch("/api/v1/organizations/nobody/", {"description": "x"}, format="json").status_code == 404


# --- The review workflow ---------------------------------------------------------------


def test_start_evaluation(published_case, roles, client_for):
    url = f"/api/v1/cases/{published_case.slug}/evaluations/"
    response = client_for(roles["editor"]).post(url, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["id"] and body["state"] == "draft" and body["number"] == 2
    assert response["ETag"] == f'"ev{body["id"]}-{body["lock_version"]}"'
    assert response["Location"].endswith(f"/api/v1/evaluation-versions/{body['id']}/")
    assert body["scores"], "prefilled from the published version"
    for role in NEWSROOM:
        assert client_for(roles[role]).post(url, format="json").status_code == 409  # one draft per case
    assert client_for(roles["editor"]).post("/api/v1/cases/nothing/evaluations/").status_code == 404


def test_new_case_evaluation_and_draft_case_404_for_readers(demo, editor, reader, client_for):
    created = client_for(editor).post("/api/v1/cases/", CASE_BODY, format="json").json()
    url = f"/api/v1/cases/{created['slug']}/evaluations/"
    assert client_for(reader).post(url, format="json").status_code == 404
    response = client_for(editor).post(url, format="json")
    assert response.status_code == 201 and response.json()["scores"] == []


def test_patch_requires_if_match(draft_version, editor, client_for):
    client = client_for(editor)
    url = f"/api/v1/evaluation-versions/{draft_version.pk}/"
    response = client.patch(url, {"narrative": "New"}, format="json")
    assert response.status_code == 428
    assert client.patch(url, {"narrative": "New"}, format="json", HTTP_IF_MATCH="*").status_code == 428
    assert client.patch(url, {"narrative": "New"}, format="json", HTTP_IF_MATCH='"ev999-1"').status_code == 412
    assert EvaluationVersion.objects.get(pk=draft_version.pk).narrative == draft_version.narrative


def test_patch_narrative_scores_annotations(draft_version, editor, client_for):
    client = client_for(editor)
    url = f"/api/v1/evaluation-versions/{draft_version.pk}/"
    loaded = client.get(url)
    party = draft_version.case.parties.select_related("organization").first()
    body = {
        "narrative": "Anthropic gains **compute** now. It also adds a dependency.",
        "scores": [
            {"criterion": "compute_access", "organization": party.organization.slug, "value": 4, "rationale": "300 MW"},
            {"criterion": "distribution", "organization": party.organization.slug, "value": 1, "rationale": ""},
        ],
        "annotations": [{"quote": "adds a dependency", "kind": "context", "body": "A third supplier."}],
    }
    response = client.patch(url, body, format="json", HTTP_IF_MATCH=loaded["ETag"])
    assert response.status_code == 200, response.content
    saved = response.json()
    assert response["ETag"] != loaded["ETag"] and response["ETag"] == f'"ev{draft_version.pk}-{saved["lock_version"]}"'
    assert "<strong>compute</strong>" in saved["narrative_html"]
    assert [(s["criterion"], s["value"]) for s in saved["scores"]] == [("distribution", 1), ("compute_access", 4)] or [
        (s["criterion"], s["value"]) for s in saved["scores"]
    ] == [("compute_access", 4), ("distribution", 1)]
    assert len(saved["scores"]) == 2, "the list given replaces the list held"
    assert saved["annotations"][0]["quote"] == "adds a dependency" and saved["annotations"][0]["prefix"]
    # The ETag we loaded is now stale: 412, and nothing is lost.
    stale = client.patch(url, {"narrative": "Overwrite!"}, format="json", HTTP_IF_MATCH=loaded["ETag"])
    assert stale.status_code == 412
    assert stale["ETag"] == response["ETag"]
    assert EvaluationVersion.objects.get(pk=draft_version.pk).narrative == body["narrative"]


BAD_VERSION_EDITS = [
    ({"scores": [{"criterion": "no_such", "organization": "xai", "value": 1}]}, "scores[0]"),
    ({"scores": [{"criterion": "compute_access", "organization": "xai", "value": 99}]}, "scores[0]"),
    ({"scores": [{"criterion": "compute_access", "organization": "openai", "value": 1}]}, "scores[0].organization"),
    ({"scores": [{"criterion": "compute_access", "organization": None, "value": 1}]}, "scores[0]"),
    ({"scores": [{"criterion": "compute_access", "organization": "xai", "value": "high"}]}, "scores"),
    ({"annotations": [{"quote": "not in the text at all", "kind": "context", "body": "x"}]}, "annotations[0]"),
    ({"annotations": [{"quote": "x", "kind": "rumour", "body": "x"}]}, "annotations"),
    ({"scores": "all of them"}, "scores"),
]


def test_patch_bad_input_is_400(draft_version, editor, client_for):
    for body, field in BAD_VERSION_EDITS:
        url = f"/api/v1/evaluation-versions/{draft_version.pk}/"
        response = client_for(editor).patch(url, body, format="json", HTTP_IF_MATCH=draft_version.etag)
        assert response.status_code == 400
        assert field in response.json(), response.json()
        assert EvaluationVersion.objects.get(pk=draft_version.pk).lock_version == draft_version.lock_version


def test_two_editors_one_draft(draft_version, editor, editor2, client_for):
    url = f"/api/v1/evaluation-versions/{draft_version.pk}/"
    first, second = client_for(editor), client_for(editor2)
    etag = first.get(url)["ETag"]
    assert second.get(url)["ETag"] == etag
    assert first.patch(url, {"verdict": "Mine"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    assert second.patch(url, {"verdict": "Theirs"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    assert EvaluationVersion.objects.get(pk=draft_version.pk).verdict == "Mine"


def test_patch_a_published_version_is_409(published_case, editor, reader, client_for):
    published = EvaluationVersion.objects.get(case=published_case, state="published")
    url = f"/api/v1/evaluation-versions/{published.pk}/"
    response = client_for(editor).patch(url, {"narrative": "x"}, format="json", HTTP_IF_MATCH=published.etag)
    assert response.status_code == 409


def test_submit(draft_version, editor2, reviewer, client_for):
    url = f"/api/v1/evaluation-versions/{draft_version.pk}/submit/"
    response = client_for(editor2).post(url, {"comment": "Ready."}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "in_review"
    assert response["ETag"]
    assert client_for(editor2).post(url, format="json").status_code == 409


def test_submit_without_scores_is_400(demo, editor, client_for):
    created = client_for(editor).post("/api/v1/cases/", CASE_BODY, format="json").json()
    version = client_for(editor).post(f"/api/v1/cases/{created['slug']}/evaluations/").json()
    response = client_for(editor).post(f"/api/v1/evaluation-versions/{version['id']}/submit/", format="json")
    assert response.status_code == 400 and "scores" in response.json()


def test_send_back(in_review_version, editor, reviewer, client_for):
    url = f"/api/v1/evaluation-versions/{in_review_version.pk}/send-back/"
    assert client_for(editor).post(url, {"comment": "no"}, format="json").status_code == 403
    assert client_for(reviewer).post(url, {"comment": " "}, format="json").status_code == 400
    assert client_for(reviewer).post(url, {}, format="json").status_code == 400
    response = client_for(reviewer).post(url, {"comment": "Source the 300 MW."}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "draft"
    assert client_for(reviewer).post(url, {"comment": "again"}, format="json").status_code == 409


def test_publish(in_review_version, editor, editor2, reviewer, admin_user, client_for):
    url = f"/api/v1/evaluation-versions/{in_review_version.pk}/publish/"
    assert client_for(editor).post(url, format="json").status_code == 403
    assert client_for(editor2).post(url, format="json").status_code == 403
    assert client_for(reviewer).post(url, {"publish_at": "soon"}, format="json").status_code == 400
    response = client_for(reviewer).post(url, format="json")
    assert response.status_code == 200 and response.json()["state"] == "published"
    assert client_for(admin_user).post(url, format="json").status_code == 409


def test_publish_own_work_is_403_and_wrong_state_409(published_case, reviewer, admin_user, client_for):
    client = client_for(reviewer)
    version = client.post(f"/api/v1/cases/{published_case.slug}/evaluations/").json()
    publish = f"/api/v1/evaluation-versions/{version['id']}/publish/"
    assert client.post(publish, format="json").status_code == 403  # own work (checked before the state)
    assert client_for(admin_user).post(publish, format="json").status_code == 409  # still a draft
    assert client.post(f"/api/v1/evaluation-versions/{version['id']}/submit/", format="json").status_code == 200
    assert client.post(publish, format="json").status_code == 403
    assert EvaluationVersion.objects.get(pk=version["id"]).state == "in_review"


def test_publish_later_schedules(in_review_version, reviewer, client_for, api_client):
    url = f"/api/v1/evaluation-versions/{in_review_version.pk}/publish/"
    response = client_for(reviewer).post(url, {"publish_at": "2099-01-01T09:00:00Z"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "scheduled"
    assert api_client.get(f"/api/v1/evaluation-versions/{in_review_version.pk}/").status_code == 404


def test_round_trip(demo, editor, reviewer, client_for, api_client, django_capture_on_commit_callbacks):
    token = api_client.post("/api/v1/auth/token/", {"username": "editor", "password": PASSWORD}, format="json")
    writer = client_for()
    writer.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    case = writer.post("/api/v1/cases/", CASE_BODY, format="json")
    assert case.status_code == 201
    slug = case.json()["slug"]
    assert api_client.get(f"/api/v1/cases/{slug}/").status_code == 404  # a draft case
    started = writer.post(f"/api/v1/cases/{slug}/evaluations/", format="json")
    version_url = f"/api/v1/evaluation-versions/{started.json()['id']}/"
    narrative = "SpaceX rents out **idle capacity**; Example Lab gains compute it could not build."
    scores = [
        {"criterion": key, "organization": org, "value": value, "rationale": f"{key} for {org}"}
        for org, values in (("xai", (1, 0, 3, 3, 0, 1)), ("anthropic", (2, 4, 1, 1, 3, 4)))
        for key, value in zip(
            ["distribution", "compute_access", "data_rights", "margin", "gap_filling", "dependency"],
            values,
            strict=True,
        )
    ]
    patched = writer.patch(
        version_url,
        {"narrative": narrative, "scores": scores, "annotations": [
            {"quote": "idle capacity", "kind": "fact_check", "body": "Colossus 2 took the training runs."}
        ]},
        format="json", HTTP_IF_MATCH=started["ETag"],
    )  # fmt: skip
    assert patched.status_code == 200, patched.content
    assert writer.post(f"{version_url}submit/", format="json").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # the summary recompute, in-process
        published = client_for(reviewer).post(f"{version_url}publish/", format="json")
    assert published.status_code == 200 and published.json()["state"] == "published"
    detail = api_client.get(f"/api/v1/cases/{slug}/")
    assert detail.status_code == 200
    body = detail.json()
    assert body["status"] == "published"
    assert body["current_version"]["narrative"] == narrative
    assert len(body["current_version"]["scores"]) == 12
    assert body["current_version"]["annotations"][0]["quote"] == "idle capacity"
    assert body["risk_summary"]["risk_index"] is not None
    assert {p["organization"] for p in body["risk_summary"]["parties"]} == {"xai", "anthropic"}
    assert slug in [
        row["slug"] for row in api_client.get("/api/v1/cases/", {"search": "Example Lab"}).json()["results"]
    ]


# --- Rubric versions -------------------------------------------------------------------


def _rubric_body(number=None):
    import json
    from pathlib import Path

    data = json.loads((Path(evaluations.__file__).parent / "demo_data" / "rubric_v1.json").read_text())
    version = {k: v for k, v in data["version"].items() if k != "number"}
    if number:
        version["number"] = number
    version["changelog"] = "Version two: heavier dependency."
    data["criteria"][-1]["weight"] = 2
    return {"version": version, "criteria": data["criteria"]}


def test_rubric_version_create_patch_activate(demo, admin_user, client_for, api_client):
    client = client_for(admin_user)
    base = "/api/v1/rubrics/partnership-leverage/versions/"
    created = client.post(base, _rubric_body(), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["number"] == 2 and created.json()["status"] == "draft"
    assert len(created.json()["criteria"]) == 6
    assert client.post(base, _rubric_body(number=2), format="json").status_code == 400  # number taken
    assert api_client.get(f"{base}2/").status_code == 404  # drafts are not public
    patched = client.patch(f"{base}2/", {"version": {"changelog": "Better words."}}, format="json")
    assert patched.status_code == 200 and patched.json()["changelog"] == "Better words."
    assert client.patch(f"{base}2/", {"version": {"classification": "high"}}, format="json").status_code == 400
    activated = client.post(f"{base}2/activate/", format="json")
    assert activated.status_code == 200 and activated.json()["status"] == "active"
    assert client.post(f"{base}2/activate/", format="json").status_code == 409
    assert client.patch(f"{base}2/", {"version": {"changelog": "too late"}}, format="json").status_code == 409
    assert client.post(f"{base}1/activate/", format="json").status_code == 409  # retired
    assert api_client.get(f"{base}2/").json()["status"] == "active"
    assert client.post(f"{base}9/activate/", format="json").status_code == 404
    assert client.post("/api/v1/rubrics/nothing/versions/", _rubric_body(), format="json").status_code == 404


ONE_CRITERION = {"key": "a", "family": "leverage", "question": "?"}


BAD_RUBRIC_BODIES = [
    ({"version": "two", "criteria": []}, "version"),
    ({"version": {}, "criteria": []}, "criteria"),
    ({"version": {}, "criteria": [{"key": "a", "family": "luck", "question": "?"}]}, "criteria"),
    ({"version": {"scale": {"min": 4, "max": 0}}, "criteria": [ONE_CRITERION]}, "non_field_errors"),
    ({"version": {"classification": {"risk_bands": "x"}}, "criteria": [ONE_CRITERION]}, "classification"),
    ({"criteria": [ONE_CRITERION]}, "version"),
]


def test_rubric_version_bad_input_is_400(demo, admin_user, client_for):
    for body, field in BAD_RUBRIC_BODIES:
        response = client_for(admin_user).post("/api/v1/rubrics/partnership-leverage/versions/", body, format="json")
        assert response.status_code == 400
        assert any(key.startswith(field) for key in response.json()), response.json()
        assert RubricVersion.objects.count() == 1


def _draft_v2(admin_user) -> RubricVersion:
    return rubric_versions.rubric_version_clone(version=RubricVersion.objects.get(status="active"), by=admin_user)


def _criteria_rows(version: RubricVersion) -> list[tuple]:
    fields = ["key", "family", "weight", "per_party", "question", "guidance", "position"]
    return list(version.criteria.order_by("position", "key").values_list(*fields))


V2 = "/api/v1/rubrics/partnership-leverage/versions/2/"


def test_rubric_draft_patch_replaces_criteria_then_activation_rescores(
    demo, admin_user, client_for, django_capture_on_commit_callbacks
):
    from evaluations.models import RiskSummary

    draft = _draft_v2(admin_user)
    client = client_for(admin_user)
    criteria = _rubric_body()["criteria"]
    for item in criteria:
        if item["key"] == "gap_filling":
            item["family"] = "dependency"  # counts as dependency now: risk indexes move
    criteria = [item for item in criteria if item["key"] != "margin"]
    criteria.append({"key": "lock_in", "family": "dependency", "weight": 0.5, "question": "Can it leave?"})
    body = {
        "version": {"changelog": "Gap filling is dependency; margin dropped.", "scale": {"labels": list("abcde")}},
        "criteria": criteria,
    }
    response = client.patch(V2, body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["changelog"] == "Gap filling is dependency; margin dropped."
    assert (data["scale_min"], data["scale_max"], data["scale_labels"]) == (0, 4, list("abcde"))  # partial scale
    assert [c["key"] for c in data["criteria"]] == [c["key"] for c in criteria]
    assert data["criteria"][-1] == {
        "key": "lock_in", "family": "dependency", "weight": 0.5, "per_party": True,
        "question": "Can it leave?", "guidance": "", "position": 5,
    }  # fmt: skip
    assert set(draft.criteria.values_list("key", flat=True)) == {c["key"] for c in criteria}

    before = dict(RiskSummary.objects.values_list("case_id", "risk_index"))
    with django_capture_on_commit_callbacks(execute=True):
        activated = client.post(f"{V2}activate/", format="json")
    assert activated.status_code == 200 and activated.json()["status"] == "active"
    summaries = RiskSummary.objects.filter(case_id__in=before).select_related("rubric_version")
    assert summaries and all(not s.stale and s.rubric_version.number == 2 for s in summaries)
    assert any(s.risk_index != before[s.case_id] for s in summaries)
    assert client.patch(V2, {"criteria": criteria[:1]}, format="json").status_code == 409
    assert RubricVersion.objects.get(number=2).criteria.count() == len(criteria)


def test_rubric_draft_partial_patch_leaves_the_rest(demo, admin_user, client_for):
    draft = _draft_v2(admin_user)
    rows, classification = _criteria_rows(draft), draft.classification
    response = client_for(admin_user).patch(V2, {"version": {"changelog": "Only words."}}, format="json")
    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert draft.changelog == "Only words." and draft.classification == classification
    assert _criteria_rows(draft) == rows
    # The same number is harmless; another is refused (it names the version).
    assert client_for(admin_user).patch(V2, {"version": {"number": 2}}, format="json").status_code == 200
    response = client_for(admin_user).patch(V2, {"version": {"number": 3}}, format="json")
    assert response.status_code == 400 and "number" in response.json()


def _with(criteria: list[dict], index: int, **changes) -> list[dict]:
    criteria = [dict(item) for item in criteria]
    criteria[index].update(changes)
    for name, value in changes.items():
        if value is None:
            del criteria[index][name]
    return criteria


def _bad_patches() -> list[tuple[dict, str]]:
    good = _rubric_body()["criteria"]
    return [
        ({"criteria": _with(good, 1, family="luck")}, "criteria"),  # unknown family
        ({"criteria": _with(good, 1, key=good[0]["key"])}, "criteria"),  # duplicate key
        ({"criteria": _with(good, 2, weight=-1)}, "criteria[2].weight"),
        ({"criteria": _with(good, 2, weight=0)}, "criteria[2].weight"),
        ({"criteria": _with(good, 3, question=None)}, "criteria"),  # missing question
        ({"criteria": _with(good, 3, question="")}, "criteria"),
        ({"criteria": []}, "criteria"),
        ({"criteria": None}, "criteria"),
        ({"version": {"changelog": "x"}, "criteria": _with(good, 0, family="luck")}, "criteria"),
        ({"version": {"scale": {"min": 4}}}, "non_field_errors"),  # min above the max kept
        ({"version": {"classification": {"risk_bands": "x"}}}, "classification"),
        ({"version": "two"}, "version"),
        ({"changelog": "top level"}, "changelog"),  # not the shape: refused, not ignored
    ]


def test_rubric_draft_bad_patch_is_400_and_changes_nothing(demo, admin_user, client_for):
    draft = _draft_v2(admin_user)
    client = client_for(admin_user)
    rows = _criteria_rows(draft)
    snapshot = list(RubricVersion.objects.filter(pk=draft.pk).values())
    for body, field in _bad_patches():
        response = client.patch(V2, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert any(key.startswith(field) for key in response.json()), (body, response.json())
        assert _criteria_rows(draft) == rows, body
        assert list(RubricVersion.objects.filter(pk=draft.pk).values()) == snapshot, body


def test_rubric_patch_of_an_active_version_is_409_and_for_admins_only(demo, roles, client_for):
    active = RubricVersion.objects.get(status="active")
    rows = _criteria_rows(active)
    criteria = _rubric_body()["criteria"]
    url = "/api/v1/rubrics/partnership-leverage/versions/1/"
    body = {"version": {"changelog": "rewritten"}, "criteria": criteria[:2]}
    assert client_for(roles["admin"]).patch(url, body, format="json").status_code == 409
    _draft_v2(roles["admin"])
    for role in [*NEWSROOM_BUT_ADMINS, "reader"]:
        for path in (url, V2):
            assert client_for(roles[role]).patch(path, body, format="json").status_code == 403, (role, path)
    response = client_for().patch(V2, body, format="json")
    assert response.status_code == 401
    assert _criteria_rows(active) == rows and RubricVersion.objects.get(pk=active.pk).changelog != "rewritten"
    assert RubricVersion.objects.get(number=2).criteria.count() == 6


# --- Throttling ----------------------------------------------------------------------


def test_throttling(demo, reader, client_for, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "5/min"})
    anonymous, token_client = client_for(), client_for(reader)
    assert [anonymous.get("/api/v1/rubrics/").status_code for _ in range(4)] == [200, 200, 200, 429]
    statuses = [token_client.get("/api/v1/rubrics/").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    limited = token_client.get("/api/v1/rubrics/")
    assert limited["Retry-After"] and "detail" in limited.json()
