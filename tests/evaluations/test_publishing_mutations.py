"""evaluations.services.publishing, rule by rule, on a tiny hand-built world (tests/support/tiny.py):
what publishing changes and records, what it refuses, and the scheduled publication (scripts/mutation)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from cases import cache_keys
from cases.models import Case, CaseSearchDocument
from core.errors import TransitionNotAllowed
from evaluations.models import AuditEntry, EvaluationVersion, RiskSummary
from evaluations.services import publishing
from tests.support import tiny

pytestmark = pytest.mark.django_db

V = EvaluationVersion.State


@pytest.fixture
def world():
    return {
        "rubric": tiny.rubric_version(),
        "case": tiny.case(),
        "editor": tiny.user("ed", "Editors"),
        "reviewer": tiny.user("rev", "Reviewers"),
    }


def _version(world, state, **kwargs):
    kwargs.setdefault("scores", dict(tiny.FULL_SCORES))
    return tiny.version(world["case"], world["editor"], state, rubric=world["rubric"], **kwargs)


def _audit(version):
    return list(
        AuditEntry.objects.filter(evaluation_version=version)
        .order_by("id")
        .values_list("action", "actor__username", "from_state", "to_state", "comment", "at")
    )


@pytest.mark.parametrize("state", [V.IN_REVIEW, V.SCHEDULED])
def test_a_first_publication(world, state):
    version = _version(world, state)
    lock = version.lock_version
    before = timezone.now()
    result = publishing.evaluation_version_publish(version=version, by=world["reviewer"])
    stored = EvaluationVersion.objects.get(pk=version.pk)
    assert result.state == stored.state == V.PUBLISHED
    assert stored.published_by == world["reviewer"] and stored.published_at >= before
    assert stored.lock_version == lock + 1
    assert _audit(version) == [("publish", "rev", state, V.PUBLISHED, "", stored.published_at)]
    case = Case.objects.get(pk=world["case"].pk)
    assert case.status == Case.Status.PUBLISHED and case.first_published_at == stored.published_at


@pytest.mark.parametrize("state", [V.DRAFT, V.PUBLISHED, V.SUPERSEDED])
def test_publishing_is_refused_from(world, state):
    version = _version(world, state)
    with pytest.raises(TransitionNotAllowed) as refused:
        publishing.evaluation_version_publish(version=version, by=world["reviewer"])
    assert str(refused.value) == f"a version in state {version.get_state_display()!r} cannot be published"
    stored = EvaluationVersion.objects.get(pk=version.pk)
    assert (stored.state, stored.lock_version) == (state, version.lock_version)
    assert _audit(version) == []
    assert not RiskSummary.objects.exists()


def test_a_new_publication_supersedes_the_previous_one(world):
    world["case"].status = Case.Status.PUBLISHED
    first_published = timezone.now() - timedelta(days=30)
    Case.objects.filter(pk=world["case"].pk).update(status=Case.Status.PUBLISHED, first_published_at=first_published)
    previous = _version(world, V.PUBLISHED, number=1)
    version = _version(world, V.IN_REVIEW, number=2)
    publishing.evaluation_version_publish(version=version, by=world["reviewer"], correction_note="Fixed a figure.")
    stored = EvaluationVersion.objects.get(pk=version.pk)
    assert EvaluationVersion.objects.get(pk=previous.pk).state == V.SUPERSEDED
    assert stored.state == V.PUBLISHED and stored.correction_note == "Fixed a figure."
    assert _audit(previous) == [
        ("supersede", "rev", V.PUBLISHED, V.SUPERSEDED, "superseded by version 2", stored.published_at)
    ]
    assert _audit(version) == [("publish", "rev", V.IN_REVIEW, V.PUBLISHED, "Fixed a figure.", stored.published_at)]
    # A case published before keeps the date of its first publication.
    case = Case.objects.get(pk=world["case"].pk)
    assert case.status == Case.Status.PUBLISHED and case.first_published_at == first_published


def test_the_note_set_when_scheduling_is_kept_unless_a_new_one_is_given(world):
    version = _version(world, V.SCHEDULED)
    EvaluationVersion.objects.filter(pk=version.pk).update(correction_note="Set at approval.")
    publishing.evaluation_version_publish(version=version, by=None)
    stored = EvaluationVersion.objects.get(pk=version.pk)
    assert stored.correction_note == "Set at approval." and stored.published_by is None
    assert _audit(version)[0][:5] == ("publish", None, V.SCHEDULED, V.PUBLISHED, "Set at approval.")


def test_an_empty_note_given_replaces_the_one_held(world):
    version = _version(world, V.IN_REVIEW)
    EvaluationVersion.objects.filter(pk=version.pk).update(correction_note="Old.")
    publishing.evaluation_version_publish(version=version, by=world["reviewer"], correction_note="")
    assert EvaluationVersion.objects.get(pk=version.pk).correction_note == ""


def test_publishing_marks_the_summary_stale_and_builds_the_search_document(world):
    version = _version(world, V.IN_REVIEW, narrative="A **published** lease of zanzibar capacity.", verdict="Lease.")
    publishing.evaluation_version_publish(version=version, by=world["reviewer"])
    summary = RiskSummary.objects.get(case=world["case"])
    assert summary.stale is True and summary.stale_since is not None
    document = CaseSearchDocument.objects.get(case=world["case"])
    assert document.title == world["case"].title
    assert "zanzibar" in document.analysis and "Lease." in document.analysis


def test_after_commit_the_summary_is_computed_and_the_archive_choices_forgotten(
    world, django_capture_on_commit_callbacks
):
    cache.set(cache_keys.ARCHIVE_CHOICES, {"organizations": []})
    version = _version(world, V.IN_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        publishing.evaluation_version_publish(version=version, by=world["reviewer"])
    assert cache.get(cache_keys.ARCHIVE_CHOICES) is None
    summary = RiskSummary.objects.get(case=world["case"])
    assert summary.stale is False and summary.computed_at is not None
    assert summary.evaluation_version_id == version.pk


# --- Scheduled publication ---------------------------------------------------------------


def _scheduled(world, slug, publish_at, state=V.SCHEDULED):
    made = tiny.case(slug, orgs=(f"{slug}-a", f"{slug}-b"))
    version = tiny.version(made, world["editor"], state, rubric=world["rubric"])
    EvaluationVersion.objects.filter(pk=version.pk).update(publish_at=publish_at, published_by=world["reviewer"])
    return version


def test_publish_due_publishes_what_is_due_and_nothing_else(world):
    now = timezone.now()
    due = _scheduled(world, "due", now - timedelta(minutes=5))
    exactly = _scheduled(world, "exactly", now)
    later = _scheduled(world, "later", now + timedelta(microseconds=1))
    not_scheduled = _scheduled(world, "review", now - timedelta(days=1), state=V.IN_REVIEW)
    assert publishing.evaluation_versions_publish_due(now=now) == 2
    states = dict(EvaluationVersion.objects.values_list("pk", "state"))
    assert states == {
        due.pk: V.PUBLISHED,
        exactly.pk: V.PUBLISHED,
        later.pk: V.SCHEDULED,
        not_scheduled.pk: V.IN_REVIEW,
    }
    # Published in the name of the reviewer who scheduled it.
    assert _audit(due)[0][:4] == ("publish", "rev", V.SCHEDULED, V.PUBLISHED)
    assert EvaluationVersion.objects.get(pk=due.pk).published_by == world["reviewer"]
    assert publishing.evaluation_versions_publish_due(now=now) == 0


def test_publish_due_defaults_to_now(world):
    due = _scheduled(world, "due", timezone.now() - timedelta(seconds=1))
    later = _scheduled(world, "later", timezone.now() + timedelta(minutes=5))
    assert publishing.evaluation_versions_publish_due() == 1
    assert EvaluationVersion.objects.get(pk=due.pk).state == V.PUBLISHED
    assert EvaluationVersion.objects.get(pk=later.pk).state == V.SCHEDULED
