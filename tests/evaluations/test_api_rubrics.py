"""Rubric versions through the API: for admins only; create, patch a draft, activate and re-score; bad input."""

from __future__ import annotations

import evaluations
from evaluations.models import RubricVersion
from evaluations.services import rubric_versions

NEWSROOM_BUT_ADMINS = ["editor", "editor2", "reviewer"]


def test_rubric_writes_are_for_admins(demo, roles, client_for):
    for role in NEWSROOM_BUT_ADMINS:
        client = client_for(roles[role])
        assert client.post("/api/v1/rubrics/partnership-leverage/versions/", {}, format="json").status_code == 403
        assert client.patch("/api/v1/rubrics/partnership-leverage/versions/1/", {}, format="json").status_code == 403
        url = "/api/v1/rubrics/partnership-leverage/versions/1/activate/"
        assert client.post(url, {}, format="json").status_code == 403


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
