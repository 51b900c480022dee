"""The rubric crosswalk through the services, the admin's rubric screens, the API and the reader pages:
activation carries scores through it and lists what it could not carry, asks first with its impact,
new drafts carry through it, and a published case reads under two rubric versions."""

from __future__ import annotations

import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from cases.models import Case
from core.errors import TransitionNotAllowed
from evaluations import scoring, selectors
from evaluations.models import AuditEntry, EvaluationVersion, RiskSummary, RubricVersion, Score
from evaluations.rubric_impact import activation_impact
from evaluations.services import recompute_set, rubric_versions, workflow

COLOSSUS = "xai-anthropic-colossus-1"

CROSSWALK = [
    {"kind": "same", "from": ["distribution"], "to": ["distribution"], "rule": "copy"},
    {"kind": "renamed", "from": ["compute_access"], "to": ["compute"], "rule": "copy"},
    {"kind": "split", "from": ["data_rights"], "to": ["data_access", "data_licence"], "rule": "copy"},
    {"kind": "merged", "from": ["margin", "dependency"], "to": ["lock_in"], "rule": "max"},
    {"kind": "dropped", "from": ["gap_filling"], "to": [], "rule": "unscored"},
    {"kind": "new", "from": [], "to": ["talent"], "rule": "unscored"},
]


def v2_data(v1: RubricVersion, entries=CROSSWALK) -> dict:
    def criterion(key, family, weight="1"):
        return {"key": key, "family": family, "weight": weight, "per_party": True, "question": f"{key}?"}

    return {
        "version": {
            "changelog": "v2: the crosswalk's test version.",
            "scale": {"min": v1.scale_min, "max": v1.scale_max, "labels": v1.scale_labels},
            "families": v1.families,
            "classification": v1.classification,
            "crosswalk": {"from": v1.number, "entries": entries},
        },
        "criteria": [
            criterion("distribution", "leverage"),
            criterion("compute", "leverage"),
            criterion("data_access", "leverage", "0.5"),
            criterion("data_licence", "leverage", "0.5"),
            criterion("lock_in", "dependency", "2"),
            criterion("talent", "workaround"),
        ],
    }


@pytest.fixture
def v1(demo) -> RubricVersion:
    return RubricVersion.objects.get(status=RubricVersion.Status.ACTIVE)


@pytest.fixture
def v2(v1, admin_user) -> RubricVersion:
    return rubric_versions.rubric_version_create(rubric=v1.rubric, data=v2_data(v1), by=admin_user)


def expected_under_v2(case: Case, v2: RubricVersion) -> scoring.Summary:
    """Written apart from the crosswalk module: CROSSWALK applied by hand to the published scores."""
    published = EvaluationVersion.objects.get(case=case, state="published")
    old: dict[int, dict[str, int]] = {}
    for score in Score.objects.filter(version=published).select_related("criterion"):
        old.setdefault(score.party_id, {})[score.criterion.key] = score.value
    carried = {}
    for party, s in old.items():
        new = {}
        for old_key, new_keys in [
            ("distribution", ["distribution"]),
            ("compute_access", ["compute"]),
            ("data_rights", ["data_access", "data_licence"]),
        ]:
            if old_key in s:
                new.update(dict.fromkeys(new_keys, s[old_key]))
        merged = [s[k] for k in ("margin", "dependency") if k in s]
        if merged:
            new["lock_in"] = max(merged)
        carried[party] = new
    return scoring.summarize(selectors.rubric_spec(v2), carried, {})


def test_a_draft_stores_its_crosswalk_and_refuses_a_bad_one(v1, v2, admin_user):
    assert v2.crosswalk == {"from": 1, "entries": CROSSWALK}
    bad = [
        ({"from": 2, "entries": []}, "earlier active or retired version"),
        ({"from": 9, "entries": []}, "earlier active or retired version"),
        ({"from": 1, "entries": [{"kind": "renamed", "from": ["nope"], "to": ["compute"]}]}, "'nope' is not"),
        ({"from": 1, "entries": [{"kind": "merged", "from": ["margin", "dependency"], "to": ["lock_in"],
                                  "rule": "copy"}]}, "takes"),
        ({"from": 1, "entries": "all"}, "'entries' must be a list"),
    ]  # fmt: skip
    for data, message in bad:
        with pytest.raises(ValidationError) as caught:
            rubric_versions.rubric_version_crosswalk_set(version=v2, by=admin_user, data=data)
        assert any(message in m for m in caught.value.message_dict["crosswalk"]), caught.value
    v2.refresh_from_db()
    assert v2.crosswalk["entries"] == CROSSWALK  # nothing written on a refusal
    # Changing the criteria so that the crosswalk names one that is gone is refused too.
    data = v2_data(v1)
    data["criteria"] = [c for c in data["criteria"] if c["key"] != "talent"]
    with pytest.raises(ValidationError, match="'talent' is not a criterion of this version"):
        rubric_versions.rubric_version_update_draft(version=v2, by=admin_user, data={"criteria": data["criteria"]})
    rubric_versions.rubric_version_crosswalk_set(version=v2, by=admin_user, data={})
    assert RubricVersion.objects.get(pk=v2.pk).crosswalk == {}
    assert v2.audit_entries.filter(action=AuditEntry.Action.EDIT, comment="edited: crosswalk").exists()


def test_a_clone_maps_from_its_source_by_key(v1, admin_user):
    draft = rubric_versions.rubric_version_clone(version=v1, by=admin_user)
    assert draft.crosswalk == {"from": 1, "entries": []}


def test_the_impact_matches_what_activation_then_does(v1, v2, admin_user, django_capture_on_commit_callbacks):
    impact = activation_impact(v2)
    before = {s.case_id: s.risk_index for s in RiskSummary.objects.all()}
    with django_capture_on_commit_callbacks(execute=True):
        activated, at_activation = rubric_versions.rubric_version_activate_reporting(version=v2, by=admin_user)
    assert activated.status == "active" and at_activation == impact
    summaries = {s.case_id: s for s in RiskSummary.objects.filter(case__status="published")}
    assert (impact.cases, impact.considered, impact.replaces) == (16, 16, 1)
    assert impact.needs_reevaluation == sum(s.needs_reevaluation for s in summaries.values()) == 16  # talent is new
    for summary in summaries.values():
        expected = expected_under_v2(summary.case, v2)
        assert summary.risk_index == expected.risk_index, summary.case.slug
        assert summary.missing_criteria == ["talent"]
    changes = sorted(
        ((summaries[c].risk_index - before[c], c) for c in summaries if summaries[c].risk_index != before[c]),
        key=lambda d: (-abs(d[0]), summaries[d[1]].case.title),
    )
    assert [c.case_id for c in impact.largest] == [c for _, c in changes[:10]]
    for change in impact.largest:
        assert (change.before, change.after) == (before[change.case_id], summaries[change.case_id].risk_index)
    not_carried = {(n.key, n.why): n.cases for n in impact.not_carried}
    assert not_carried[("talent", "new criterion: to be scored")] == 16
    assert not_carried[("gap_filling", "dropped by the new version")] == 16
    entry = v2.audit_entries.get(action=AuditEntry.Action.ACTIVATE)
    assert entry.comment.startswith("16 of 16 published cases need re-evaluation. not carried: ")
    assert "gap_filling: dropped by the new version (16 cases)" in entry.comment


def test_the_impact_is_bounded_and_reads_in_fixed_queries(v2, settings, django_assert_num_queries):
    with django_assert_num_queries(12):
        full = activation_impact(v2)
    settings.RUBRIC_IMPACT_MAX_CASES = 3
    with django_assert_num_queries(12):
        bounded = activation_impact(v2)
    assert (bounded.cases, bounded.considered, bounded.truncated, full.truncated) == (16, 3, True, False)
    assert "the first 3 of 16 re-scored" in bounded.as_text()


def test_without_a_crosswalk_activation_carries_by_key(v1, admin_user, django_capture_on_commit_callbacks):
    v2 = rubric_versions.rubric_version_create(rubric=v1.rubric, data=v2_data(v1, entries=[]) | {}, by=admin_user)
    impact = activation_impact(v2)
    keys = {n.key for n in impact.not_carried}
    assert {"compute", "lock_in", "compute_access", "margin"} <= keys  # nothing carried but distribution


def test_the_crosswalk_is_frozen_once_active(v2, admin_user):
    rubric_versions.rubric_version_activate(version=v2, by=admin_user)
    with pytest.raises(TransitionNotAllowed):
        rubric_versions.rubric_version_crosswalk_set(version=v2, by=admin_user, data={})
    with pytest.raises(IntegrityError), transaction.atomic():
        RubricVersion.objects.filter(pk=v2.pk).update(crosswalk={})
    assert RubricVersion.objects.get(pk=v2.pk).crosswalk["entries"] == CROSSWALK


def test_a_new_draft_carries_scores_through_the_crosswalk(v2, admin_user, editor):
    rubric_versions.rubric_version_activate(version=v2, by=admin_user)
    case = Case.objects.get(slug=COLOSSUS)
    published = EvaluationVersion.objects.get(case=case, state="published")
    old = {(s.criterion.key, s.party_id): s for s in published.scores.select_related("criterion")}
    draft = workflow.evaluation_version_start(case=case, by=editor)
    new = {(s.criterion.key, s.party_id): s for s in draft.scores.select_related("criterion")}
    assert draft.evaluation.rubric_version_id == v2.pk
    for party in {p for _, p in old}:
        assert new[("compute", party)].value == old[("compute_access", party)].value
        assert new[("compute", party)].rationale == old[("compute_access", party)].rationale
        assert (
            new[("data_access", party)].value == new[("data_licence", party)].value == old[("data_rights", party)].value
        )
        assert new[("lock_in", party)].value == max(old[("margin", party)].value, old[("dependency", party)].value)
        assert ("talent", party) not in new and ("gap_filling", party) not in new
        sources = set(old[("margin", party)].sources.values_list("pk", flat=True)) | set(
            old[("dependency", party)].sources.values_list("pk", flat=True)
        )
        assert set(new[("lock_in", party)].sources.values_list("pk", flat=True)) == sources


# --- The two-version view -----------------------------------------------------------------------


@pytest.fixture
def activated(v2, admin_user, django_capture_on_commit_callbacks) -> RubricVersion:
    with django_capture_on_commit_callbacks(execute=True):
        rubric_versions.rubric_version_activate(version=v2, by=admin_user)
    return v2


@pytest.fixture
def secret_draft(v1, activated, admin_user) -> RubricVersion:
    """A draft v3 whose criterion key and changelog must never reach a reader."""
    data = v2_data(v1, entries=[])
    data["version"]["crosswalk"] = {"from": 2, "entries": []}
    data["version"]["changelog"] = "zanzibarquokka changelog"
    data["criteria"].append({"key": "zanzibarquokka", "family": "leverage", "question": "Secret?"})
    return rubric_versions.rubric_version_create(rubric=v1.rubric, data=data, by=admin_user)


def test_the_page_shows_the_case_under_two_versions(activated, client, django_assert_num_queries):
    url = reverse("case-rubric-versions", args=[COLOSSUS])
    case_page = client.get(reverse("case-detail", args=[COLOSSUS])).content.decode()
    assert url in case_page
    with django_assert_num_queries(6):
        response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Rubric v1</a>" in body and "Rubric v2</a>" in body and "scored under this version" in body
    assert "merged from several: from margin, dependency (take the maximum)" in body
    assert "new criterion: to be scored" in body
    expected = expected_under_v2(Case.objects.get(slug=COLOSSUS), activated)
    assert f"{expected.risk_index}" in body
    same = client.get(url, {"a": 2, "b": 2})
    assert same.status_code == 200 and "scored under this version" not in same.content.decode()


def test_the_api_shows_the_case_under_two_versions(activated, api_client):
    data = api_client.get(f"/api/v1/cases/{COLOSSUS}/rubric-versions/").json()
    assert (data["scored_under"], data["a"]["number"], data["b"]["number"], data["versions"]) == (1, 1, 2, [1, 2])
    expected = expected_under_v2(Case.objects.get(slug=COLOSSUS), activated)
    assert data["b"]["risk_index"] == float(expected.risk_index)
    assert data["b"]["classification"] == (expected.classification or "")
    assert all(cell["status"] == "scored" for row in data["a"]["criteria"] for cell in row["scores"])
    rows = {row["key"]: row["scores"] for row in data["b"]["criteria"]}
    assert {c["status"] for c in rows["compute"]} == {"carried"}
    assert {(c["status"], c["how"]) for c in rows["talent"]} == {("missing", "new criterion: to be scored")}
    assert data["b"]["missing"] == len(rows["talent"])


@pytest.mark.parametrize("query", [{"a": "x"}, {"b": "-1"}, {"a": "1.5"}, {"a": "99999999999"}, {"a": "²"}])
def test_bad_input_is_400(activated, client, api_client, query):
    assert client.get(reverse("case-rubric-versions", args=[COLOSSUS]), query).status_code == 400
    assert api_client.get(f"/api/v1/cases/{COLOSSUS}/rubric-versions/", query).status_code == 400


def test_a_draft_rubric_version_never_reaches_readers(secret_draft, client, api_client, admin_user, draft_case):
    """A reader may not see a draft rubric version, under its number or otherwise: a draft's number
    answers what a number that does not exist answers, for everyone, admins included (reader pages)."""
    page = reverse("case-rubric-versions", args=[COLOSSUS])
    api = f"/api/v1/cases/{COLOSSUS}/rubric-versions/"
    for who in (None, admin_user):
        if who:
            client.force_login(who)
        for query in ({"a": 3}, {"b": 3}, {"a": 9}):
            assert client.get(page, query).status_code == 404
            assert api_client.get(api, query).status_code == 404
        for response in (client.get(page), client.get(page, {"a": 1, "b": 2}), api_client.get(api)):
            assert response.status_code == 200
            assert b"zanzibarquokka" not in response.content
            # "v3" as a word: not inside a random token (a CSP nonce, a CSRF token) that happens to hold it.
            assert not re.search(rb"(?<![\w+/=-])v3(?![\w+/=-])", response.content)
    assert client.get(reverse("case-rubric-versions", args=[draft_case.slug])).status_code == 404
    assert api_client.get(f"/api/v1/cases/{draft_case.slug}/rubric-versions/").status_code == 404


# --- The admin's rubric screens and the API's writes ----------------------------------------------


def test_the_admin_edits_the_crosswalk(v1, admin_user, client):
    draft = rubric_versions.rubric_version_clone(version=v1, by=admin_user)
    data = v2_data(v1)
    rubric_versions.rubric_version_update_draft(version=draft, by=admin_user, data={"criteria": data["criteria"]})
    client.force_login(admin_user)
    url = reverse("admin:evaluations_rubricversion_crosswalk", args=[draft.pk])
    change = client.get(reverse("admin:evaluations_rubricversion_change", args=[draft.pk]))
    assert url.encode() in change.content
    page = client.get(url)
    assert page.status_code == 200 and b"gap_filling" in page.content
    form = {
        "kind__distribution": "same", "rule__distribution": "copy",
        "kind__compute_access": "renamed", "to__compute_access": ["compute"], "rule__compute_access": "copy",
        "kind__data_rights": "split", "to__data_rights": ["data_access", "data_licence"], "rule__data_rights": "copy",
        "kind__margin": "merged", "to__margin": ["lock_in"], "rule__margin": "max",
        "kind__dependency": "merged", "to__dependency": ["lock_in"], "rule__dependency": "max",
        "kind__gap_filling": "dropped", "rule__gap_filling": "unscored",
    }  # fmt: skip
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[-3000:]
    draft.refresh_from_db()
    assert draft.crosswalk["from"] == 1

    def canonical(entries):
        return sorted(json.dumps(e, sort_keys=True) for e in entries)

    assert canonical(draft.crosswalk["entries"]) == canonical(CROSSWALK[:-1])
    bad = client.post(url, form | {"rule__dependency": "average"})
    assert bad.status_code == 400 and b"same rule" in bad.content
    bad = client.post(url, form | {"kind__compute_access": "split"})
    assert bad.status_code == 400 and b"two or more" in bad.content
    assert client.post(url, form | {"kind__margin": "teleported"}).status_code == 400


def test_the_admin_asks_before_activating(v2, admin_user, client, django_assert_max_num_queries):
    client.force_login(admin_user)
    changelist = reverse("admin:evaluations_rubricversion_changelist")
    response = client.post(changelist, {"action": "activate", "_selected_action": [v2.pk]})
    confirm = reverse("admin:evaluations_rubricversion_activate", args=[v2.pk])
    assert response.status_code == 302 and response["Location"] == confirm
    with django_assert_max_num_queries(24):
        page = client.get(confirm)
    body = page.content.decode()
    assert page.status_code == 200 and "<strong>16</strong> of 16 published cases will need re-evaluation" in body
    assert "Largest changes in risk index" in body and "dropped by the new version" in body
    v2.refresh_from_db()
    assert v2.status == "draft"  # asking changed nothing
    done = client.post(confirm, follow=True)
    assert b"is now active" in done.content and b"16 of 16 published cases need re-evaluation" in done.content
    assert RubricVersion.objects.get(pk=v2.pk).status == "active"
    assert client.get(confirm).status_code == 409


def test_only_admins_reach_the_rubric_screens(v2, editor, reviewer, client, client_for):
    for user in (editor, reviewer):
        client.force_login(user)
        for name in ("crosswalk", "activate"):
            response = client.get(reverse(f"admin:evaluations_rubricversion_{name}", args=[v2.pk]))
            assert response.status_code in (302, 403), (user, name)
        api = client_for(user)
        assert api.get("/api/v1/rubrics/partnership-leverage/versions/2/activation-impact/").status_code in (403, 404)
        assert api.patch(
            "/api/v1/rubrics/partnership-leverage/versions/2/", {"version": {"crosswalk": {}}}, format="json"
        ).status_code in (403, 404)


def test_the_api_writes_the_crosswalk_and_reports_the_impact(v1, v2, admin_user, client_for):
    api = client_for(admin_user)
    slug = v1.rubric.slug
    base = f"/api/v1/rubrics/{slug}/versions/2/"
    assert api.get(base).json()["crosswalk"]["entries"] == CROSSWALK
    bad = api.patch(base, {"version": {"crosswalk": {"from": 1, "entries": [{"kind": "moved"}]}}}, format="json")
    assert bad.status_code == 400 and "kind must be one of" in str(bad.json())
    impact = api.get(f"{base}activation-impact/").json()
    assert (impact["needs_reevaluation"], impact["cases"], impact["replaces"]) == (16, 16, 1)
    assert {"key": "gap_filling", "why": "dropped by the new version", "cases": 16} in impact["not_carried"]
    activated = api.post(f"{base}activate/").json()
    assert activated["status"] == "active" and activated["impact"] == impact
    assert api.get(f"{base}activation-impact/").status_code == 409
    assert api.patch(base, {"version": {"crosswalk": {}}}, format="json").status_code == 409


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-based recompute is PostgreSQL's")
def test_the_set_based_recompute_leaves_crosswalked_cases_to_the_python_path(v1, admin_user):
    draft = rubric_versions.rubric_version_create(rubric=v1.rubric, data=v2_data(v1), by=admin_user)
    rubric_versions.rubric_version_activate(version=draft, by=admin_user)
    case_ids = list(Case.objects.filter(status="published").values_list("pk", flat=True))
    assert recompute_set._carried_by_key(draft) == [2]  # v1's scores need the crosswalk
    recompute_set.risk_summaries_recompute_set(case_ids=case_ids, queue_exposures=False)
    for summary in RiskSummary.objects.filter(case_id__in=case_ids).select_related("case"):
        assert summary.risk_index == expected_under_v2(summary.case, draft).risk_index, summary.case.slug
        assert summary.missing_criteria == ["talent"]


def test_the_public_rubric_page_shows_how_scores_carried(activated, client, django_assert_num_queries):
    url = reverse("rubric-version", args=[activated.rubric.slug, 2])
    client.get(url)  # warm what the page caches
    # 5, and the agreement figures (its double-scored versions and their raw scores: two queries)
    with django_assert_num_queries(7):
        body = client.get(url).content.decode()
    assert "How scores carry over from version 1" in body
    assert "margin, dependency → <strong>lock_in</strong>: merged, scores carried (max)" in body
    assert "<strong>talent</strong>: new, to be scored" in body
