"""Rubric versions: clone, edit only drafts, activate and re-score the archive."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.models import Case
from core.errors import TransitionNotAllowed
from evaluations.models import AuditEntry, Criterion, RiskSummary, Rubric, RubricVersion
from evaluations.services import rubric_versions
from tests.support.synthetic import assert_summary_matches, expected_summary, new_rubric_version_data

COLOSSUS = "xai-anthropic-colossus-1"


@pytest.fixture
def v1(demo) -> RubricVersion:
    return RubricVersion.objects.get(status=RubricVersion.Status.ACTIVE)


def test_clone_copies_the_version_as_a_new_draft(v1, admin_user):
    draft = rubric_versions.rubric_version_clone(version=v1, by=admin_user)
    assert (draft.number, draft.status, draft.changelog) == (2, "draft", "")
    assert draft.classification == v1.classification and draft.scale_labels == v1.scale_labels
    fields = ["key", "family", "weight", "per_party", "question", "guidance", "position"]
    assert list(draft.criteria.values_list(*fields)) == list(v1.criteria.values_list(*fields))
    assert draft.audit_entries.get().comment == "cloned from version 1"
    v1.refresh_from_db()
    assert v1.status == "active"  # cloning changes nothing about the source


def test_active_and_retired_versions_never_change_through_the_services(v1, admin_user):
    with pytest.raises(TransitionNotAllowed, match="can no longer change"):
        rubric_versions.rubric_version_update_draft(
            version=v1, by=admin_user, data={"version": {"changelog": "rewritten history"}}
        )
    draft = rubric_versions.rubric_version_clone(version=v1, by=admin_user)
    rubric_versions.rubric_version_update_draft(
        version=draft, by=admin_user, data={"version": {"changelog": "Sharper questions."}}
    )
    rubric_versions.rubric_version_activate(version=draft, by=admin_user)
    v1.refresh_from_db()
    assert v1.status == "retired" and v1.changelog != "rewritten history"
    for version in (v1, draft):
        with pytest.raises(TransitionNotAllowed):
            rubric_versions.rubric_version_update_draft(
                version=version, by=admin_user, data={"version": {"changelog": "x"}}
            )
        with pytest.raises(TransitionNotAllowed):
            rubric_versions.rubric_version_activate(version=version, by=admin_user)
    assert RubricVersion.objects.get(pk=draft.pk).changelog == "Sharper questions."


def test_admin_edits_drafts_and_shows_frozen_versions_read_only(v1, admin_user, client):
    client.force_login(admin_user)
    url = reverse("admin:evaluations_rubricversion_change", args=[v1.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"Save" not in page.content  # view only
    post = client.post(url, {"changelog": "tampered", "number": 1, "rubric": v1.rubric_id})
    assert post.status_code == 403
    v1.refresh_from_db()
    assert v1.changelog != "tampered"

    changelist = reverse("admin:evaluations_rubricversion_changelist")
    response = client.post(changelist, {"action": "clone", "_selected_action": [v1.pk]}, follow=True)
    assert b"created from version 1" in response.content
    draft = RubricVersion.objects.get(number=2)
    draft_url = reverse("admin:evaluations_rubricversion_change", args=[draft.pk])
    assert b'name="changelog"' in client.get(draft_url).content
    criteria = list(draft.criteria.all())
    data = {
        "rubric": draft.rubric_id,
        "number": 2,
        "changelog": "v2: margin weighs more.",
        "scale_min": 0,
        "scale_max": 4,
        "scale_labels": '["a", "b", "c", "d", "e"]',
        "families": "{}",
        "classification": json.dumps(draft.classification),
        "criteria-TOTAL_FORMS": len(criteria),
        "criteria-INITIAL_FORMS": len(criteria),
        "criteria-MIN_NUM_FORMS": 0,
        "criteria-MAX_NUM_FORMS": 1000,
    }
    for i, c in enumerate(criteria):
        data.update(
            {
                f"criteria-{i}-id": c.pk,
                f"criteria-{i}-version": draft.pk,
                f"criteria-{i}-position": c.position,
                f"criteria-{i}-key": c.key,
                f"criteria-{i}-family": c.family,
                f"criteria-{i}-weight": "2" if c.key == "margin" else c.weight,
                f"criteria-{i}-per_party": "on" if c.per_party else "",
                f"criteria-{i}-question": c.question,
                f"criteria-{i}-guidance": c.guidance,
            }
        )
    response = client.post(draft_url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    draft.refresh_from_db()
    assert draft.changelog == "v2: margin weighs more."
    assert str(draft.criteria.get(key="margin").weight) == "2.000"

    # The action asks first (the impact, then a confirm button): issue 15's confirmation.
    response = client.post(changelist, {"action": "activate", "_selected_action": [draft.pk]}, follow=True)
    assert b"will need re-evaluation" in response.content
    response = client.post(reverse("admin:evaluations_rubricversion_activate", args=[draft.pk]), follow=True)
    assert b"is now active" in response.content
    assert client.post(draft_url, data).status_code == 403  # active now: frozen


def test_activation_carries_scores_over_by_key_and_flags_missing_criteria(
    v1, admin_user, django_capture_on_commit_callbacks
):
    v2 = rubric_versions.rubric_version_create(rubric=v1.rubric, data=new_rubric_version_data(v1), by=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        rubric_versions.rubric_version_activate(version=v2, by=admin_user)

    summaries = RiskSummary.objects.filter(case__evaluations__isnull=False).distinct()
    assert summaries.count() == 16
    for summary in summaries:
        assert_summary_matches(summary, expected_summary(summary.case_id, v2), v2)
        assert summary.needs_reevaluation and summary.missing_criteria == ["lock_in"]
    # Editors find the flagged cases: the data is one filter away.
    flagged = Case.objects.filter(risk_summary__needs_reevaluation=True)
    assert flagged.count() == 16
    assert v1.audit_entries.filter(action=AuditEntry.Action.RETIRE).exists()


def test_activation_marks_stale_in_its_own_transaction(v1, admin_user):
    """Before any worker runs (no on-commit callbacks here), every summary is already flagged."""
    draft = rubric_versions.rubric_version_clone(version=v1, by=admin_user)
    rubric_versions.rubric_version_activate(version=draft, by=admin_user)
    assert RiskSummary.objects.filter(stale=False).count() == 0
    assert not RiskSummary.objects.filter(stale=True, stale_since__isnull=True).exists()


def test_carry_over_leaves_out_scores_the_new_scale_cannot_take(v1, admin_user, django_capture_on_commit_callbacks):
    data = new_rubric_version_data(v1)
    data["version"]["scale"] = {"min": 0, "max": 2, "labels": []}
    v2 = rubric_versions.rubric_version_create(rubric=v1.rubric, data=data, by=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        rubric_versions.rubric_version_activate(version=v2, by=admin_user)
    summary = RiskSummary.objects.get(case__slug=COLOSSUS)
    assert summary.rubric_version == v2 and not summary.stale
    assert "lock_in" in summary.missing_criteria and len(summary.missing_criteria) > 1
    assert summary.needs_reevaluation


def test_a_rubric_without_criteria_cannot_be_activated(v1, admin_user):
    draft = rubric_versions.rubric_version_clone(version=v1, by=admin_user)
    Criterion.objects.filter(version=draft).delete()
    with pytest.raises(ValidationError):
        rubric_versions.rubric_version_activate(version=draft, by=admin_user)
    assert Rubric.objects.get().versions.get(status="active") == v1


def test_the_desk_selector_lists_the_flagged_cases(v1, admin_user, django_capture_on_commit_callbacks):
    from evaluations import selectors
    from evaluations.services import rubric_versions

    assert not selectors.summaries_needing_reevaluation().exists()
    v2 = rubric_versions.rubric_version_create(rubric=v1.rubric, data=new_rubric_version_data(v1), by=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        rubric_versions.rubric_version_activate(version=v2, by=admin_user)
    flagged = list(selectors.summaries_needing_reevaluation())
    assert len(flagged) == 16 and all(s.missing_criteria == ["lock_in"] for s in flagged)


def test_the_database_refuses_changes_to_a_frozen_version(v1, admin_user):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        RubricVersion.objects.filter(pk=v1.pk).update(changelog="rewritten")
    with pytest.raises(IntegrityError), transaction.atomic():
        Criterion.objects.filter(version=v1).update(weight=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Criterion.objects.create(version=v1, key="sneaky", family="leverage", question="?")
    with pytest.raises(IntegrityError), transaction.atomic():
        RubricVersion.objects.filter(pk=v1.pk).update(status="draft")
    draft = rubric_versions.rubric_version_clone(version=v1, by=admin_user)
    Criterion.objects.filter(version=draft).update(weight=3)  # drafts change freely
    rubric_versions.rubric_version_activate(version=draft, by=admin_user)  # retiring v1 is allowed
    assert RubricVersion.objects.get(pk=v1.pk).status == "retired"
