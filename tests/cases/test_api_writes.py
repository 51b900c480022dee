"""Editors' writes through the API: every write endpoint refused to those who may not; cases, parties,
sources and organizations; tokens and throttling. The review workflow's writes are in
tests/evaluations/test_api_versions.py, rubric versions' in tests/evaluations/test_api_rubrics.py."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from cases.models import Case, DealType, Organization
from evaluations.models import EvaluationVersion, RubricVersion
from tests.support.accounts import PASSWORD
from tests.support.payloads import CASE_BODY

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


def test_case_update(draft_case, editor2, client_for):
    # A case never published; a published one's facts change through a version (tests/evaluations/test_facts.py).
    published_case = draft_case
    published_case.deal_types.add(DealType.objects.first())
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
    assert client.patch("/api/v1/cases/nothing/", {"title": "x"}, format="json").status_code == 404


def test_parties_and_sources(draft_case, published_case, editor, client_for):
    client = client_for(editor)
    # Once published, a case's parties and sources change through a version: 409, nothing changes.
    scored = published_case.parties.first().organization.slug
    assert client.delete(f"/api/v1/cases/{published_case.slug}/parties/{scored}/").status_code == 409
    slug = draft_case.slug
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


# --- Throttling ----------------------------------------------------------------------


def test_throttling(demo, reader, client_for, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "5/min"})
    anonymous, token_client = client_for(), client_for(reader)
    assert [anonymous.get("/api/v1/rubrics/").status_code for _ in range(4)] == [200, 200, 200, 429]
    statuses = [token_client.get("/api/v1/rubrics/").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    limited = token_client.get("/api/v1/rubrics/")
    assert limited["Retry-After"] and "detail" in limited.json()
