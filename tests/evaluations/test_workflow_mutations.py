"""evaluations.services.workflow and .transitions, rule by rule, on a tiny hand-built world
(tests/support/tiny.py): every transition from every state, the refusals with their messages,
what a draft starts with, what a save writes (scripts/mutation).

Written against the public service functions and what they leave in the database, so that
they hold while the services' insides change.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Source
from core.errors import EditConflict, TransitionNotAllowed, errors_by_field
from evaluations.models import Annotation, AuditEntry, Evaluation, EvaluationVersion, RubricVersion, Score
from evaluations.services import workflow
from evaluations.services.annotations import AnnotationInput
from evaluations.services.evidence import CitationInput
from evaluations.services.workflow import ScoreInput
from tests.support import tiny

pytestmark = pytest.mark.django_db

V = EvaluationVersion.State
ALL_STATES = [V.DRAFT, V.IN_REVIEW, V.SCHEDULED, V.PUBLISHED, V.SUPERSEDED]
LATER = timedelta(days=2)
FULL = tiny.COMPLETE_SCORES


@pytest.fixture
def world():
    """An active rubric, a draft case with two parties and two sources, the newsroom's people."""
    return {
        "rubric": tiny.rubric_version(),
        "case": tiny.case(),
        "editor": tiny.user("ed", "Editors"),
        "editor2": tiny.user("ed2", "Editors"),
        "reviewer": tiny.user("rev", "Reviewers"),
        "reviewer2": tiny.user("rev2", "Reviewers"),
        "reader": tiny.user("reader"),
    }


def _version(world, state=V.DRAFT, **kwargs):
    return tiny.version(world["case"], world["editor"], state, rubric=world["rubric"], **kwargs)


def _audit(version):
    return list(
        AuditEntry.objects.filter(evaluation_version=version)
        .order_by("id")
        .values_list("action", "actor__username", "from_state", "to_state", "comment")
    )


def _party_ids(world):
    return list(world["case"].parties.order_by("position").values_list("pk", flat=True))


# --- Every transition from every state -------------------------------------------------

# action -> the states it is allowed from, and the state it leads to
TRANSITIONS = {
    "save": ({V.DRAFT}, V.DRAFT),
    "submit": ({V.DRAFT}, V.IN_REVIEW),
    "send_back": ({V.IN_REVIEW, V.SCHEDULED}, V.DRAFT),
    "approve": ({V.IN_REVIEW}, V.PUBLISHED),
    "schedule": ({V.IN_REVIEW}, V.SCHEDULED),
}


def _do(action, version, world):
    if action == "save":
        return workflow.evaluation_version_save(
            version=version, by=world["editor"], expected_lock=version.lock_version, narrative="New text."
        )
    if action == "submit":
        return workflow.evaluation_version_submit(version=version, by=world["editor"], comment="ready")
    if action == "send_back":
        return workflow.evaluation_version_send_back(version=version, by=world["reviewer"], comment="more sources")
    if action == "approve":
        return workflow.evaluation_version_approve(version=version, by=world["reviewer"])
    return workflow.evaluation_version_approve(version=version, by=world["reviewer"], publish_at=timezone.now() + LATER)


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_every_transition_from_every_state(world, action, state):
    allowed, to = TRANSITIONS[action]
    version = _version(world, state, scores=FULL)
    lock = version.lock_version
    entries = _audit(version)
    if state in allowed:
        result = _do(action, version, world)
        stored = EvaluationVersion.objects.get(pk=version.pk)
        assert result.state == stored.state == to
        assert stored.lock_version == lock + 1
        if action != "save":
            assert _audit(version)[-1][2:4] == (state, to)
    else:
        with pytest.raises(TransitionNotAllowed) as refused:
            _do(action, version, world)
        assert f"a version that is {version.get_state_display()}" in str(refused.value)
        stored = EvaluationVersion.objects.get(pk=version.pk)
        assert (stored.state, stored.lock_version, stored.narrative) == (state, lock, version.narrative)
        assert _audit(version) == entries


@pytest.mark.parametrize("open_state", [V.DRAFT, V.IN_REVIEW, V.SCHEDULED])
def test_start_refuses_while_a_version_is_open_with_the_services_message(world, open_state):
    open_version = _version(world, open_state, number=3)
    with pytest.raises(TransitionNotAllowed) as refused:
        workflow.evaluation_version_start(case=world["case"], by=world["editor"])
    display = open_version.get_state_display()
    assert str(refused.value) == f"version 3 of this case is already {display}; work on it instead"
    assert EvaluationVersion.objects.filter(case=world["case"]).count() == 1


@pytest.mark.parametrize("state", [V.PUBLISHED, V.SUPERSEDED])
def test_start_is_allowed_beside_frozen_versions(world, state):
    _version(world, state, number=4)
    started = workflow.evaluation_version_start(case=world["case"], by=world["editor"])
    assert (started.number, started.state) == (5, V.DRAFT)


# --- Approve and schedule ------------------------------------------------------------------


def test_scheduling_a_draft_never_submitted_is_refused(world):
    draft = _version(world, V.DRAFT, scores={("lev", 0): 2})
    with pytest.raises(TransitionNotAllowed, match="cannot approve a version that is draft"):
        workflow.evaluation_version_approve(version=draft, by=world["reviewer"], publish_at=timezone.now() + LATER)
    stored = EvaluationVersion.objects.get(pk=draft.pk)
    assert (stored.state, stored.publish_at, stored.published_by) == (V.DRAFT, None, None)
    assert _audit(draft) == []


def test_schedule_records_when_and_who(world):
    version = _version(world, V.IN_REVIEW)
    when = timezone.now() + LATER
    result = workflow.evaluation_version_approve(
        version=version, by=world["reviewer"], publish_at=when, correction_note=""
    )
    stored = EvaluationVersion.objects.get(pk=version.pk)
    assert result.state == stored.state == V.SCHEDULED
    assert stored.publish_at == when and stored.published_by == world["reviewer"]
    assert stored.published_at is None
    assert _audit(version) == [
        ("schedule", "rev", V.IN_REVIEW, V.SCHEDULED, f"to publish at {when.isoformat()}"),
    ]


def test_a_publish_time_in_the_past_is_refused_not_taken_as_now(world):
    version = _version(world, V.IN_REVIEW)
    audited = AuditEntry.objects.filter(evaluation_version=version).count()
    with pytest.raises(ValidationError) as caught:
        workflow.evaluation_version_approve(
            version=version, by=world["reviewer"], publish_at=timezone.now() - timedelta(minutes=1)
        )
    (message,) = caught.value.message_dict["publish_at"]
    assert "has already passed" in message and "leave it empty to publish now" in message
    # Nothing changed: still in review, not published, not scheduled, nothing audited.
    stored = EvaluationVersion.objects.get(pk=version.pk)
    assert stored.state == V.IN_REVIEW
    assert (stored.published_by, stored.published_at, stored.publish_at) == (None, None, None)
    assert AuditEntry.objects.filter(evaluation_version=version).count() == audited


def test_nobody_approves_their_own_version(world):
    version = tiny.version(world["case"], world["reviewer"], V.IN_REVIEW, rubric=world["rubric"])
    for publish_at in (None, timezone.now() + LATER):
        with pytest.raises(PermissionDenied, match="cannot approve a version you wrote"):
            workflow.evaluation_version_approve(version=version, by=world["reviewer"], publish_at=publish_at)
    assert EvaluationVersion.objects.get(pk=version.pk).state == V.IN_REVIEW
    workflow.evaluation_version_approve(version=version, by=world["reviewer2"])
    assert EvaluationVersion.objects.get(pk=version.pk).state == V.PUBLISHED


@pytest.mark.parametrize("who", ["editor", "reader"])
def test_only_reviewers_approve_or_send_back(world, who):
    version = _version(world, V.IN_REVIEW)
    with pytest.raises(PermissionDenied, match="You may not approve or publish"):
        workflow.evaluation_version_approve(version=version, by=world[who])
    with pytest.raises(PermissionDenied, match="You may not send versions back"):
        workflow.evaluation_version_send_back(version=version, by=world[who], comment="no")
    assert EvaluationVersion.objects.get(pk=version.pk).state == V.IN_REVIEW


def test_a_first_publication_takes_no_correction_note(world):
    version = _version(world, V.IN_REVIEW)
    with pytest.raises(ValidationError) as error:
        workflow.evaluation_version_approve(version=version, by=world["reviewer"], correction_note="Fixed a figure.")
    assert error.value.message_dict == {
        "correction_note": ["a first publication corrects nothing; leave the note empty"]
    }
    assert EvaluationVersion.objects.get(pk=version.pk).state == V.IN_REVIEW
    # Blank is no note at all.
    workflow.evaluation_version_approve(version=version, by=world["reviewer"], correction_note="   ")
    assert EvaluationVersion.objects.get(pk=version.pk).correction_note == ""


@pytest.mark.parametrize("later", [False, True])
def test_a_correction_note_goes_with_a_replacing_version_stripped(world, later):
    _version(world, V.PUBLISHED, number=1)
    version = _version(world, V.IN_REVIEW, number=2)
    workflow.evaluation_version_approve(
        version=version,
        by=world["reviewer"],
        correction_note="  Fixed a figure.  ",
        publish_at=timezone.now() + LATER if later else None,
    )
    stored = EvaluationVersion.objects.get(pk=version.pk)
    assert stored.correction_note == "Fixed a figure."
    assert stored.state == (V.SCHEDULED if later else V.PUBLISHED)


def test_a_correction_note_is_checked_as_text(world):
    _version(world, V.PUBLISHED, number=1)
    version = _version(world, V.IN_REVIEW, number=2)
    with pytest.raises(ValidationError) as error:
        workflow.evaluation_version_approve(version=version, by=world["reviewer"], correction_note="bad\x00note")
    assert "correction_note" in error.value.message_dict
    assert EvaluationVersion.objects.get(pk=version.pk).state == V.IN_REVIEW


# --- Submit and send back --------------------------------------------------------------------


def test_submit_records_the_time_and_the_comment(world):
    version = _version(world, scores={**FULL, ("data", None): 1})
    before = timezone.now()
    result = workflow.evaluation_version_submit(version=version, by=world["editor"], comment="please review")
    stored = EvaluationVersion.objects.get(pk=version.pk)
    assert result.state == stored.state == V.IN_REVIEW
    assert stored.submitted_at is not None and stored.submitted_at >= before
    assert _audit(version) == [("submit", "ed", V.DRAFT, V.IN_REVIEW, "please review")]


def test_submit_needs_a_score(world):
    version = _version(world)
    with pytest.raises(ValidationError) as error:
        workflow.evaluation_version_submit(version=version, by=world["editor"])
    assert error.value.message_dict == {"scores": ["score at least one criterion before submitting"]}
    assert EvaluationVersion.objects.get(pk=version.pk).state == V.DRAFT


def test_submit_needs_the_permission(world):
    version = _version(world, scores={("data", None): 1})
    with pytest.raises(PermissionDenied, match="You may not submit for review"):
        workflow.evaluation_version_submit(version=version, by=world["reader"])
    assert EvaluationVersion.objects.get(pk=version.pk).state == V.DRAFT


def test_send_back_of_a_scheduled_version_clears_its_schedule(world):
    version = _version(world, V.SCHEDULED)
    result = workflow.evaluation_version_send_back(version=version, by=world["reviewer"], comment="hold it")
    stored = EvaluationVersion.objects.get(pk=version.pk)
    assert result.state == stored.state == V.DRAFT
    assert stored.publish_at is None and stored.published_by is None
    assert _audit(version) == [("send_back", "rev", V.SCHEDULED, V.DRAFT, "hold it")]


@pytest.mark.parametrize("comment", ["", "   \n"])
def test_send_back_says_what_needs_to_change(world, comment):
    version = _version(world, V.IN_REVIEW)
    with pytest.raises(ValidationError) as error:
        workflow.evaluation_version_send_back(version=version, by=world["reviewer"], comment=comment)
    assert error.value.message_dict == {"comment": ["say what needs to change"]}
    assert EvaluationVersion.objects.get(pk=version.pk).state == V.IN_REVIEW


# --- Start ---------------------------------------------------------------------------------------


def test_start_the_first_version(world):
    draft = workflow.evaluation_version_start(case=world["case"], by=world["editor"])
    stored = EvaluationVersion.objects.get(pk=draft.pk)
    assert (stored.number, stored.state, stored.author, stored.based_on) == (1, V.DRAFT, world["editor"], None)
    assert (stored.narrative, stored.verdict) == ("", "")
    assert stored.evaluation.rubric_version == world["rubric"] and stored.evaluation.case == world["case"]
    assert not stored.scores.exists() and not stored.annotations.exists()
    assert _audit(draft) == [("create", "ed", "", V.DRAFT, "")]


def test_start_needs_the_permission(world):
    with pytest.raises(PermissionDenied, match="You may not start an evaluation"):
        workflow.evaluation_version_start(case=world["case"], by=world["reader"])
    assert not EvaluationVersion.objects.exists()


def test_start_without_an_active_rubric_version(world):
    RubricVersion.objects.filter(pk=world["rubric"].pk).update(status=RubricVersion.Status.RETIRED)
    with pytest.raises(TransitionNotAllowed) as refused:
        workflow.evaluation_version_start(case=world["case"], by=world["editor"])
    assert str(refused.value) == "there is no active rubric version to evaluate under"
    assert not EvaluationVersion.objects.exists()


def test_start_uses_the_rubric_of_the_cases_latest_evaluation(world):
    other = tiny.rubric_version(slug="other")  # a second rubric, created later: a higher id
    case_b = tiny.case("second", orgs=("gamma", "delta"))
    # A case never evaluated takes the first rubric's active version.
    assert (
        workflow.evaluation_version_start(case=case_b, by=world["editor"]).evaluation.rubric_version
        == (world["rubric"])
    )
    # A case evaluated under the other rubric stays with it, also when the first one was used before.
    tiny.version(world["case"], world["editor"], V.SUPERSEDED, rubric=world["rubric"], number=1)
    tiny.version(world["case"], world["editor"], V.PUBLISHED, rubric=other, number=2)
    draft = workflow.evaluation_version_start(case=world["case"], by=world["editor"])
    assert draft.evaluation.rubric_version == other and draft.number == 3
    assert Evaluation.objects.filter(case=world["case"]).count() == 2  # the existing evaluation, reused


def test_a_new_draft_is_prefilled_from_the_published_version(world):
    parties = _party_ids(world)
    source = world["case"].sources.order_by("position").first()
    _version(world, V.SUPERSEDED, number=1, narrative="Old text.", verdict="Old.")
    published = _version(world, V.DRAFT, number=2, scores=dict(tiny.FULL_SCORES), verdict="Current.")
    Score.objects.get(version=published, criterion__key="lev", party_id=parties[0]).sources.add(source)
    Annotation.objects.create(
        version=published,
        quote="leases capacity",
        prefix="provider ",
        suffix=" to",
        kind="context",
        body="How much?",
        author=world["editor2"],
    )
    EvaluationVersion.objects.filter(pk=published.pk).update(state=V.PUBLISHED, published_at=timezone.now())

    draft = workflow.evaluation_version_start(case=world["case"], by=world["reviewer"])

    assert (draft.number, draft.based_on_id, draft.author) == (3, published.pk, world["reviewer"])
    assert (draft.narrative, draft.verdict) == (published.narrative, "Current.")
    copied = {
        (s.criterion.key, s.party_id): (s.value, s.rationale, s.criterion.version_id, [x.pk for x in s.sources.all()])
        for s in Score.objects.filter(version=draft).select_related("criterion")
    }
    expected = {
        (key, None if position is None else parties[position]): (
            value,
            f"why {key} {position}",
            world["rubric"].pk,
            [source.pk] if (key, position) == ("lev", 0) else [],
        )
        for (key, position), value in tiny.FULL_SCORES.items()
    }
    assert copied == expected
    note = Annotation.objects.get(version=draft)
    assert (note.quote, note.prefix, note.suffix, note.kind, note.body, note.author) == (
        "leases capacity",
        "provider ",
        " to",
        "context",
        "How much?",
        world["editor2"],
    )
    assert note.orphaned is False
    assert EvaluationVersion.objects.get(pk=published.pk).state == V.PUBLISHED  # untouched until publication


def test_starting_takes_as_many_queries_whatever_the_number_of_scores(world):
    counts = []
    for slug, scores in (("one", {("lev", 0): 1}), ("many", dict(tiny.FULL_SCORES))):
        made = tiny.case(slug, orgs=(f"{slug}-a", f"{slug}-b"))
        published = tiny.version(made, world["editor"], V.DRAFT, rubric=world["rubric"], scores=scores)
        for score in Score.objects.filter(version=published):
            score.sources.add(*made.sources.all())
        EvaluationVersion.objects.filter(pk=published.pk).update(state=V.PUBLISHED, published_at=timezone.now())
        editor = User.objects.get(pk=world["editor"].pk)  # permissions not cached yet, both times
        with CaptureQueriesContext(connection) as queries:
            draft = workflow.evaluation_version_start(case=made, by=editor)
        counts.append(len(queries))
        assert Score.sources.through.objects.filter(score__version=draft).count() == 2 * len(scores)
    assert counts[0] == counts[1]


def test_an_annotation_whose_quote_is_gone_starts_orphaned(world):
    published = _version(world, V.DRAFT, narrative="Only this text.")
    # Its context is still there; the quote is not.
    Annotation.objects.create(
        version=published,
        quote="leases capacity",
        prefix="Only",
        suffix=" text",
        kind="context",
        body="gone",
        author=world["editor"],
    )
    EvaluationVersion.objects.filter(pk=published.pk).update(state=V.PUBLISHED, published_at=timezone.now())
    draft = workflow.evaluation_version_start(case=world["case"], by=world["editor"])
    assert Annotation.objects.get(version=draft).orphaned is True


def test_scores_carry_over_into_a_newly_activated_rubric_version(world):
    """A draft started after a new rubric version is activated is scored under it, prefilled by key.

    Scores the new version cannot take are left out: a dropped criterion, a value beyond its
    scale, a criterion that turned from per party to per deal (or back).
    """
    parties = _party_ids(world)
    tiny.version(world["case"], world["editor"], V.PUBLISHED, rubric=world["rubric"], scores=dict(tiny.FULL_SCORES))
    RubricVersion.objects.filter(pk=world["rubric"].pk).update(status=RubricVersion.Status.RETIRED)
    newer = tiny.rubric_version(
        number=2,
        scale_max=3,
        criteria={
            "lev": (tiny.CRITERIA["lev"][0], True, "2"),
            "work": (tiny.CRITERIA["work"][0], False, "1"),  # now once for the deal
            "data": (tiny.CRITERIA["data"][0], False, "1"),
            "new": (tiny.CRITERIA["dep"][0], True, "1"),
        },
    )
    draft = workflow.evaluation_version_start(case=world["case"], by=world["editor"])
    assert draft.evaluation.rubric_version == newer
    carried = {
        (s.criterion.key, s.party_id): (s.value, s.criterion.version_id)
        for s in Score.objects.filter(version=draft).select_related("criterion")
    }
    # lev 3 and 1 fit; dep is gone; work is per deal now; data fits; nothing was over 3... but dep 4 is dropped anyway
    assert carried == {
        ("lev", parties[0]): (3, newer.pk),
        ("lev", parties[1]): (1, newer.pk),
        ("data", None): (2, newer.pk),
    }


def test_a_score_beyond_the_new_scale_is_not_carried_over(world):
    parties = _party_ids(world)
    tiny.version(
        world["case"],
        world["editor"],
        V.PUBLISHED,
        rubric=world["rubric"],
        scores={("lev", 0): 4, ("lev", 1): 3, ("data", None): 0},
    )
    RubricVersion.objects.filter(pk=world["rubric"].pk).update(status=RubricVersion.Status.RETIRED)
    tiny.rubric_version(number=2, scale_max=3)
    draft = workflow.evaluation_version_start(case=world["case"], by=world["editor"])
    carried = {
        (s.criterion.key, s.party_id): s.value for s in Score.objects.filter(version=draft).select_related("criterion")
    }
    assert carried == {("lev", parties[1]): 3, ("data", None): 0}


def test_a_per_deal_criterion_that_became_per_party_is_not_carried_over(world):
    tiny.version(world["case"], world["editor"], V.PUBLISHED, rubric=world["rubric"], scores={("data", None): 2})
    RubricVersion.objects.filter(pk=world["rubric"].pk).update(status=RubricVersion.Status.RETIRED)
    tiny.rubric_version(number=2, criteria={"data": (tiny.CRITERIA["data"][0], True, "1")})
    draft = workflow.evaluation_version_start(case=world["case"], by=world["editor"])
    assert not Score.objects.filter(version=draft).exists()


def test_scores_merged_by_the_crosswalk_carry_every_rationale_once(world):
    """Two criteria merged into one by the new rubric version: the draft's merged score keeps the
    rationale of each score it came from, one paragraph each, a repeated one once."""
    parties = _party_ids(world)
    published = tiny.version(world["case"], world["editor"], V.DRAFT, rubric=world["rubric"], scores=tiny.FULL_SCORES)
    Score.objects.filter(version=published, party_id=parties[1]).update(rationale="Same reason.")
    Score.objects.filter(version=published, criterion__key="dep", party_id=parties[0]).update(rationale="")
    Score.objects.filter(version=published, criterion__key="work", party_id=parties[0]).update(rationale="Costly.")
    EvaluationVersion.objects.filter(pk=published.pk).update(state=V.PUBLISHED, published_at=timezone.now())
    RubricVersion.objects.filter(pk=world["rubric"].pk).update(status=RubricVersion.Status.RETIRED)
    merged = {"kind": "merged", "from": ["lev", "dep", "work"], "to": ["hold"], "rule": "max"}
    tiny.rubric_version(
        number=2,
        criteria={"hold": tiny.CRITERIA["lev"], "data": tiny.CRITERIA["data"]},
        crosswalk={"from": 1, "entries": [merged]},
    )
    draft = workflow.evaluation_version_start(case=world["case"], by=world["editor"])
    carried = {
        (s.criterion.key, s.party_id): (s.value, s.rationale)
        for s in Score.objects.filter(version=draft).select_related("criterion")
    }
    assert carried == {
        ("hold", parties[0]): (3, "why lev 0\n\nCostly."),
        ("hold", parties[1]): (4, "Same reason."),
        ("data", None): (2, "why data None"),
    }


def test_scores_given_under_another_rubric_carry_nothing(world):
    """Carrying goes along one rubric's versions: scores given under another rubric are not carried,
    and the carrier says that none did (a rebase reports what carried and what was dropped from it)."""
    other = tiny.rubric_version(slug="other")  # the same criterion keys, another rubric
    scored = _version(world, V.PUBLISHED, scores=dict(tiny.FULL_SCORES))
    draft = tiny.version(world["case"], world["editor"], V.DRAFT, rubric=other, number=2)
    carried = workflow.scores_carry(
        scores=list(scored.scores.select_related("criterion")),
        scored_under=world["rubric"],
        version=draft,
        rubric_version=other,
    )
    assert carried == set()
    assert not Score.objects.filter(version=draft).exists()


# --- Save ------------------------------------------------------------------------------------------


def test_save_writes_what_is_given_and_keeps_the_rest(world):
    version = _version(world, narrative="Kept text.", verdict="Kept.")
    lock = version.lock_version
    result = workflow.evaluation_version_save(version=version, by=world["editor"], expected_lock=lock, verdict="New.")
    stored = EvaluationVersion.objects.get(pk=version.pk)
    assert (stored.narrative, stored.verdict, stored.change_note) == ("Kept text.", "New.", "")
    assert result.lock_version == stored.lock_version == lock + 1
    workflow.evaluation_version_save(
        version=version, by=world["editor"], expected_lock=lock + 1, narrative="Other text.", change_note="why"
    )
    stored = EvaluationVersion.objects.get(pk=version.pk)
    assert (stored.narrative, stored.verdict, stored.change_note) == ("Other text.", "New.", "why")


def test_save_with_a_stale_lock_is_a_conflict_and_writes_nothing(world):
    version = _version(world, narrative="First.")
    with pytest.raises(EditConflict):
        workflow.evaluation_version_save(
            version=version, by=world["editor2"], expected_lock=version.lock_version + 1, narrative="Second."
        )
    stored = EvaluationVersion.objects.get(pk=version.pk)
    assert (stored.narrative, stored.lock_version) == ("First.", version.lock_version)


def test_save_needs_the_permission(world):
    version = _version(world)
    with pytest.raises(PermissionDenied, match="You may not edit evaluations"):
        workflow.evaluation_version_save(
            version=version, by=world["reader"], expected_lock=version.lock_version, narrative="x"
        )


def test_save_replaces_the_scores_with_their_sources(world):
    parties = _party_ids(world)
    sources = list(world["case"].sources.order_by("position").values_list("pk", flat=True))
    version = _version(world, scores={("dep", 1): 4})
    workflow.evaluation_version_save(
        version=version,
        by=world["editor"],
        expected_lock=version.lock_version,
        scores=[
            ScoreInput("lev", parties[0], 0, "none at all", (sources[1],)),
            ScoreInput("data", None, 4, "", tuple(sources)),
        ],
    )
    stored = {
        (s.criterion.key, s.party_id): (s.value, s.rationale, sorted(x.pk for x in s.sources.all()))
        for s in Score.objects.filter(version=version).select_related("criterion")
    }
    assert stored == {
        ("lev", parties[0]): (0, "none at all", [sources[1]]),
        ("data", None): (4, "", sorted(sources)),
    }


def test_save_without_scores_keeps_them(world):
    version = _version(world, scores={("dep", 1): 4})
    workflow.evaluation_version_save(version=version, by=world["editor"], expected_lock=version.lock_version)
    assert list(Score.objects.filter(version=version).values_list("value", flat=True)) == [4]


def _score_errors(world, items):
    version = _version(world, narrative="Kept.", scores={("dep", 1): 4})
    with pytest.raises(ValidationError) as error:
        workflow.evaluation_version_save(
            version=version, by=world["editor"], expected_lock=version.lock_version, narrative="Lost.", scores=items
        )
    stored = EvaluationVersion.objects.get(pk=version.pk)
    assert (stored.narrative, stored.lock_version) == ("Kept.", version.lock_version)
    assert list(Score.objects.filter(version=version).values_list("value", flat=True)) == [4]
    assert EvaluationVersion.objects.get(pk=version.pk).parked_rationales == []
    # As the desk and the API show them: each message under the field of the item it is about.
    return errors_by_field(error.value)


def test_every_bad_score_is_named_and_nothing_is_written(world):
    parties = _party_ids(world)
    other_case = tiny.case("other", orgs=("gamma", "delta"))
    foreign_party = other_case.parties.first().pk
    foreign_source = other_case.sources.first().pk
    own_source = world["case"].sources.first().pk
    errors = _score_errors(
        world,
        [
            ScoreInput("lev", parties[0], 2),  # fine
            ScoreInput("nope", parties[0], 1),
            ScoreInput("lev", None, 1),
            ScoreInput("data", parties[0], 1),
            ScoreInput("dep", foreign_party, 1),
            ScoreInput("dep", parties[0], True),
            ScoreInput("dep", parties[1], "3"),
            ScoreInput("work", parties[0], 5),
            ScoreInput("work", parties[1], -1),
            ScoreInput("lev", parties[0], 3),  # twice
            ScoreInput("data", None, 1, source_ids=(own_source, foreign_source)),
        ],
    )
    assert errors == {
        "scores[1].criterion": ["unknown criterion 'nope' for rubric version 1"],
        "scores[2].organization": ["criterion 'lev' is scored per party: name the party"],
        "scores[3].organization": ["criterion 'data' is scored once for the deal: give no party"],
        "scores[4].organization": ["that organization is not a party to this case"],
        "scores[5].value": ["the score must be a whole number"],
        "scores[6].value": ["the score must be a whole number"],
        "scores[7].value": ["the score must be between 0 and 4"],
        "scores[8].value": ["the score must be between 0 and 4"],
        "scores[9].criterion": ["this criterion is scored twice for the same party"],
        "scores[10].sources": ["a source given is not one of this case's sources"],
    }


def test_an_unknown_criterion_for_a_foreign_party_gets_both_messages(world):
    foreign_party = tiny.case("other", orgs=("gamma", "delta")).parties.first().pk
    errors = _score_errors(world, [ScoreInput("nope", foreign_party, 9)])
    assert errors == {
        "scores[0].criterion": ["unknown criterion 'nope' for rubric version 1"],
        "scores[0].organization": ["that organization is not a party to this case"],
        "scores[0].value": ["the score must be between 0 and 4"],
    }


def test_the_scale_ends_are_allowed(world):
    parties = _party_ids(world)
    version = _version(world)
    workflow.evaluation_version_save(
        version=version,
        by=world["editor"],
        expected_lock=version.lock_version,
        scores=[ScoreInput("lev", parties[0], 0), ScoreInput("lev", parties[1], 4)],
    )
    assert sorted(Score.objects.filter(version=version).values_list("value", flat=True)) == [0, 4]


def test_every_rationale_with_bad_text_is_named(world):
    parties = _party_ids(world)
    errors = _score_errors(
        world,
        [
            ScoreInput("lev", parties[0], 1, "bad\x00text"),
            ScoreInput("lev", parties[1], 1, "fine"),
            ScoreInput("dep", parties[0], 1, "also\x00bad"),
        ],
    )
    assert list(errors) == ["scores[0].rationale", "scores[2].rationale"]
    assert all(messages[0].startswith("rationale: ") for messages in errors.values())


def test_a_rationale_without_a_score_is_parked_and_the_scores_after_it_are_saved(world):
    """Drafting: a rationale written before its score is kept aside (the checklist names it, submitting
    is refused while one is held) and does not stop the scores given after it."""
    parties = _party_ids(world)
    version = _version(world, scores={("dep", 1): 4})
    workflow.evaluation_version_save(
        version=version,
        by=world["editor"],
        expected_lock=version.lock_version,
        scores=[
            ScoreInput("lev", parties[0], None, "Waiting for the filing."),
            ScoreInput("data", None, None, "Ask about the training data."),
            ScoreInput("lev", parties[1], 3, "A ten-year lease."),
        ],
    )
    stored = EvaluationVersion.objects.get(pk=version.pk)
    assert stored.parked_rationales == [
        {"criterion": "lev", "party": parties[0], "rationale": "Waiting for the filing."},
        {"criterion": "data", "party": None, "rationale": "Ask about the training data."},
    ]
    scores = Score.objects.filter(version=version).select_related("criterion")
    assert [(s.criterion.key, s.party_id, s.value, s.rationale) for s in scores] == [
        ("lev", parties[1], 3, "A ten-year lease.")
    ]


def test_an_item_without_a_score_needs_a_rationale_and_takes_no_sources_or_quotes(world):
    parties = _party_ids(world)
    source = world["case"].sources.order_by("position").first()
    Source.objects.filter(pk=source.pk).update(excerpt="The lease runs for ten years.")
    quote = CitationInput(source.pk, "ten years")
    errors = _score_errors(
        world,
        [
            ScoreInput("lev", parties[0], None, " \n "),
            ScoreInput("lev", parties[1], None, "Waiting.", source_ids=(source.pk,)),
            ScoreInput("dep", parties[0], None, "Waiting.", citations=(quote,)),
            ScoreInput("dep", parties[1], None, "", source_ids=(source.pk,), citations=(quote,)),
        ],
    )
    rests = "a score rests on its sources and quotes: give the score too"
    assert errors == {
        "scores[0].value": ["give a score, or a rationale to park until you score it"],
        "scores[1].value": [rests],
        "scores[2].value": [rests],
        "scores[3].value": ["give a score, or a rationale to park until you score it", rests],
    }


def test_every_bad_quote_is_named_under_the_items_quotes(world):
    parties = _party_ids(world)
    first, second = world["case"].sources.order_by("position")
    Source.objects.filter(pk=first.pk).update(excerpt="The lease runs for ten years at a fixed price.")
    foreign_source = tiny.case("other", orgs=("gamma", "delta")).sources.first().pk
    errors = _score_errors(
        world,
        [
            ScoreInput("lev", parties[0], 3, "Long.", citations=(CitationInput(first.pk, "ten years"),)),  # fine
            ScoreInput(
                "lev",
                parties[1],
                2,
                citations=(
                    CitationInput(first.pk, "twenty years"),
                    CitationInput(second.pk, "ten years"),
                    CitationInput(foreign_source, "ten years"),
                    CitationInput(first.pk, "  "),
                ),
            ),
        ],
    )
    assert errors == {
        "scores[1].citations": [
            "passage 1: the quote does not appear in the source's excerpt",
            "passage 2: that source has no excerpt to quote yet; paste the relevant text first",
            "passage 3: the source is not one of this case's sources",
            "passage 4: the quote is empty",
        ]
    }


def test_a_quoted_source_joins_the_scores_sources(world):
    parties = _party_ids(world)
    first, second = world["case"].sources.order_by("position")
    Source.objects.filter(pk=first.pk).update(excerpt="The lease runs for ten years at a fixed price.")
    version = _version(world)
    workflow.evaluation_version_save(
        version=version,
        by=world["editor"],
        expected_lock=version.lock_version,
        scores=[ScoreInput("lev", parties[0], 3, "Long.", (second.pk,), (CitationInput(first.pk, "ten years"),))],
    )
    score = Score.objects.get(version=version)
    assert sorted(score.sources.values_list("pk", flat=True)) == sorted([first.pk, second.pk])
    assert list(score.citations.values_list("source", "quote", "prefix", "suffix")) == [
        (first.pk, "ten years", "The lease runs for ", " at a fixed price.")
    ]


def test_bad_version_text_is_a_field_error(world):
    version = _version(world, narrative="Kept.")
    with pytest.raises(ValidationError) as error:
        workflow.evaluation_version_save(
            version=version,
            by=world["editor"],
            expected_lock=version.lock_version,
            narrative="bad\x00",
            verdict="x" * 301,
        )
    assert {"narrative", "verdict"} <= set(error.value.message_dict)
    assert EvaluationVersion.objects.get(pk=version.pk).narrative == "Kept."


def test_save_replaces_the_annotations_written_by_the_saver(world):
    version = _version(world, narrative="The provider leases capacity to the customer.")
    Annotation.objects.create(version=version, quote="customer", kind="context", body="old", author=world["editor"])
    workflow.evaluation_version_save(
        version=version,
        by=world["editor2"],
        expected_lock=version.lock_version,
        annotations=[AnnotationInput(quote="leases capacity", kind="dissent", body="Not a lease.")],
    )
    notes = list(Annotation.objects.filter(version=version).values_list("quote", "kind", "body", "author__username"))
    assert notes == [("leases capacity", "dissent", "Not a lease.", "ed2")]


def test_a_new_narrative_reanchors_the_annotations(world):
    version = _version(world, narrative="The provider leases capacity to the customer.")
    note = Annotation.objects.create(
        version=version, quote="leases capacity", kind="context", body="b", author=world["editor"]
    )
    workflow.evaluation_version_save(
        version=version, by=world["editor"], expected_lock=version.lock_version, narrative="Rewritten entirely."
    )
    assert Annotation.objects.get(pk=note.pk).orphaned is True
