"""The admin writes rubric versions through the rubric services: validation and the audit trail."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from evaluations.models import AuditEntry, RubricVersion
from evaluations.services import rubric_versions


@pytest.fixture
def v1(demo) -> RubricVersion:
    return RubricVersion.objects.get(status=RubricVersion.Status.ACTIVE)


def _add_form(v1: RubricVersion, criteria: list[dict]) -> dict:
    data = {
        "rubric": v1.rubric_id,
        "number": 5,
        "changelog": "Written in the admin.",
        "scale_min": 0,
        "scale_max": 4,
        "scale_labels": "[]",
        "families": "{}",
        "classification": json.dumps(v1.classification),
        "criteria-TOTAL_FORMS": len(criteria),
        "criteria-INITIAL_FORMS": 0,
        "criteria-MIN_NUM_FORMS": 0,
        "criteria-MAX_NUM_FORMS": 1000,
    }
    for i, c in enumerate(criteria):
        data.update({f"criteria-{i}-{name}": value for name, value in c.items()})
    return data


CRITERION = {"position": 0, "key": "lock_in", "family": "dependency", "weight": "1", "per_party": "on", "question": "?"}


def test_creating_a_rubric_version_records_who_created_it(v1, admin_user):
    version = rubric_versions.rubric_version_create(
        rubric=v1.rubric,
        data={"version": {"classification": v1.classification}, "criteria": [{**CRITERION, "per_party": True}]},
        by=admin_user,
    )
    entry = version.audit_entries.get()
    assert (entry.action, entry.actor, entry.from_state, entry.to_state) == (
        AuditEntry.Action.CREATE,
        admin_user,
        "",
        RubricVersion.Status.DRAFT,
    )


def test_a_version_added_in_the_admin_goes_through_the_service(v1, admin_user, client):
    client.force_login(admin_user)
    response = client.post(reverse("admin:evaluations_rubricversion_add"), _add_form(v1, [CRITERION]))
    assert response.status_code == 302, response.content.decode()[:2000]
    version = RubricVersion.objects.get(number=5)
    assert (version.status, version.created_by) == (RubricVersion.Status.DRAFT, admin_user)
    assert list(version.criteria.values_list("key", flat=True)) == ["lock_in"]
    assert version.audit_entries.get().action == AuditEntry.Action.CREATE


def test_the_admin_refuses_a_version_the_engine_cannot_use(v1, admin_user, client):
    client.force_login(admin_user)
    add = reverse("admin:evaluations_rubricversion_add")
    no_criteria = client.post(add, _add_form(v1, []), follow=True)
    assert b"at least one criterion" in no_criteria.content
    broken = _add_form(v1, [CRITERION])
    broken["classification"] = json.dumps({"risk_bands": {"high": 70}})
    assert b"classification" in client.post(add, broken, follow=True).content
    assert not RubricVersion.objects.filter(number=5).exists()


def test_an_admin_edit_of_a_draft_is_validated_too(v1, admin_user, client):
    draft = rubric_versions.rubric_version_clone(version=v1, by=admin_user)
    client.force_login(admin_user)
    url = reverse("admin:evaluations_rubricversion_change", args=[draft.pk])
    data = _add_form(v1, [])
    data.update({"number": draft.number, "classification": json.dumps({"risk_bands": {"high": 70}})})
    data["criteria-INITIAL_FORMS"] = 0
    client.post(url, data, follow=True)
    draft.refresh_from_db()
    assert draft.classification == v1.classification
