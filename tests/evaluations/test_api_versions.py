"""The review workflow through the API: start, PATCH with optimistic locking (412/428), submit, send back,
publish with its 403/409, and the round trip from a new case to a published analysis."""

from __future__ import annotations

from evaluations.models import EvaluationVersion
from tests.support.accounts import PASSWORD
from tests.support.payloads import CASE_BODY

NEWSROOM = ["editor", "editor2", "reviewer", "admin"]

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
    ({"scores": [{"criterion": "no_such", "organization": "xai", "value": 1}]}, "scores[0].criterion"),
    ({"scores": [{"criterion": "compute_access", "organization": "xai", "value": 99}]}, "scores[0].value"),
    ({"scores": [{"criterion": "compute_access", "organization": "openai", "value": 1}]}, "scores[0].organization"),
    ({"scores": [{"criterion": "compute_access", "organization": None, "value": 1}]}, "scores[0].organization"),
    ({"scores": [{"criterion": "compute_access", "organization": "xai", "value": "high"}]}, "scores"),
    ({"annotations": [{"quote": "not in the text at all", "kind": "context", "body": "x"}]}, "annotations[0].quote"),
    ({"annotations": [{"quote": "x", "kind": "rumour", "body": "x"}]}, "annotations"),
    ({"scores": "all of them"}, "scores"),
    (
        {"scores": [{"criterion": "compute_access", "organization": "xai", "value": 1,
                     "citations": [{"source": 1, "quote": "words no excerpt has"}]}]},
        "scores[0].citations",
    ),
    ({"scores": [{"criterion": "compute_access", "organization": "xai", "value": 1, "citations": "all"}]}, "scores"),
]  # fmt: skip


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


def test_patch_scores_with_quoted_passages_and_read_them_back(draft_version, editor, client_for, api_client):
    from evaluations.models import Citation

    source = draft_version.case.sources.exclude(excerpt="").first() or draft_version.case.sources.first()
    if not source.excerpt:
        from cases.source_excerpts import source_excerpt_set

        source_excerpt_set(source=source, by=editor, excerpt="The lease covers the whole cluster, about 300 MW.")
        source.refresh_from_db()
    quote = source.excerpt.split(".")[0][-20:].strip()
    client = client_for(editor)
    url = f"/api/v1/evaluation-versions/{draft_version.pk}/"
    party = draft_version.case.parties.select_related("organization").first()
    body = {
        "scores": [
            {
                "criterion": "compute_access",
                "organization": party.organization.slug,
                "value": 4,
                "citations": [{"source": source.pk, "quote": quote}],
            }
        ]
    }
    response = client.patch(url, body, format="json", HTTP_IF_MATCH=client.get(url)["ETag"])
    assert response.status_code == 200, response.content
    (score,) = response.json()["scores"]
    assert score["basis"] == "quoted" and score["sources"] == [source.pk]
    (citation,) = score["citations"]
    assert citation["quote"] == quote and citation["source"] == source.pk and citation["orphaned"] is False
    assert citation["source_url"] == source.url
    assert Citation.objects.filter(score__version=draft_version).count() == 1
