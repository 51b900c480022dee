"""evaluations.services.publishing, rule by rule, on a tiny hand-built world (tests/support/tiny.py):
what publishing changes and records, what it refuses, and the scheduled publication (scripts/mutation)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from cases import cache_keys
from cases.facts import case_facts
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


def _scheduled_with_facts(world, slug, publish_at, **facts):
    """A scheduled correction of a published case, its facts as the case holds them with ``facts`` over them."""
    made = tiny.case(slug, orgs=(f"{slug}-a", f"{slug}-b"), published=True)
    tiny.version(made, world["editor"], V.PUBLISHED, rubric=world["rubric"], number=1)
    return tiny.version(
        made,
        world["editor"],
        V.SCHEDULED,
        rubric=world["rubric"],
        number=2,
        facts={**case_facts(made), **facts},
        publish_at=publish_at,
        published_by=world["reviewer"],
    )


def test_a_due_version_whose_facts_no_longer_hold_is_logged_and_the_others_still_go_out(world, caplog):
    """A deal type removed after scheduling: that version stays scheduled (flagged overdue), the log says
    which one and why, and the versions due with it are published all the same."""
    now = timezone.now()
    # The refused one between two others: one of them comes after it, whichever way they are read.
    before = _scheduled_with_facts(world, "before", now - timedelta(minutes=5))
    broken = _scheduled_with_facts(world, "broken", now - timedelta(minutes=5), deal_types=["gone-type"])
    after = _scheduled(world, "after", now - timedelta(minutes=1))
    with caplog.at_level(logging.WARNING, logger="evaluations.services.publishing"):
        assert publishing.evaluation_versions_publish_due(now=now) == 2
    states = dict(EvaluationVersion.objects.filter(pk__in=[before.pk, broken.pk, after.pk]).values_list("pk", "state"))
    assert states == {before.pk: V.PUBLISHED, broken.pk: V.SCHEDULED, after.pk: V.PUBLISHED}
    assert _audit(broken) == []
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", f"scheduled version {broken.pk} not published: ['unknown deal types: gone-type']")
    ]


def test_a_due_version_published_meanwhile_is_skipped_and_the_others_still_go_out(world, monkeypatch):
    """Another worker (or a reviewer's "publish now") publishes a due version between the task's read
    of the due versions and its turn: the task leaves it as published and goes on with the rest."""
    now = timezone.now()
    before, meanwhile, after = (_scheduled(world, slug, now - timedelta(minutes=5)) for slug in ("a", "b", "c"))
    publish = publishing.evaluation_version_publish
    other_worker = tiny.user("other", "Reviewers")

    def published_elsewhere_first(*, version, by, **kwargs):
        if version.pk == meanwhile.pk:
            publish(version=version, by=other_worker)
        return publish(version=version, by=by, **kwargs)

    monkeypatch.setattr(publishing, "evaluation_version_publish", published_elsewhere_first)
    assert publishing.evaluation_versions_publish_due(now=now) == 2
    published_by = dict(EvaluationVersion.objects.filter(state=V.PUBLISHED).values_list("pk", "published_by"))
    assert published_by == {
        before.pk: world["reviewer"].pk,
        meanwhile.pk: other_worker.pk,
        after.pk: world["reviewer"].pk,
    }
    assert [entry[:2] for entry in _audit(meanwhile)] == [("publish", "other")]
