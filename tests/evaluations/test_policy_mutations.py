"""evaluations.policy, rule by rule: every action from every state, written out here rather than
read from the table, so that a changed entry in the table fails (scripts/mutation).

No database: the objects are unsaved model instances and the users answer ``has_perm`` from a set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cases.models import Case
from core.errors import TransitionNotAllowed
from evaluations import policy
from evaluations.models import DoubleScoring, EvaluationVersion, ReviewComment, Revision, RubricVersion

V = EvaluationVersion.State
ALL_STATES = [V.DRAFT, V.IN_REVIEW, V.SCHEDULED, V.PUBLISHED, V.SUPERSEDED, V.DISCARDED]


@dataclass
class User:
    perms: set[str] = field(default_factory=set)
    pk: int = 1
    is_authenticated: bool = True

    def has_perm(self, perm: str) -> bool:
        return perm in self.perms


EVERYTHING = User({rule.permission for rule in policy.ACTIONS.values()} | set(policy.DRAFT_VIEWERS.values()), pk=1)

# action -> (permission, the states it is allowed from, four-eyes)
VERSION_ACTIONS = {
    "version.edit": ("evaluations.change_evaluationversion", {V.DRAFT}, False),
    "version.submit": ("evaluations.submit_evaluationversion", {V.DRAFT}, False),
    "version.send_back": ("evaluations.publish_evaluationversion", {V.IN_REVIEW, V.SCHEDULED}, False),
    "version.approve": ("evaluations.publish_evaluationversion", {V.IN_REVIEW}, True),
    "version.schedule": ("evaluations.publish_evaluationversion", {V.IN_REVIEW}, True),
    "version.publish": ("evaluations.publish_evaluationversion", {V.IN_REVIEW, V.SCHEDULED}, False),
    "version.reschedule": ("evaluations.publish_evaluationversion", {V.SCHEDULED}, True),
    "version.unschedule": ("evaluations.publish_evaluationversion", {V.SCHEDULED}, False),
    "version.rebase": ("evaluations.change_evaluationversion", {V.DRAFT}, False),
    "annotation.add": ("evaluations.add_annotation", {V.DRAFT, V.IN_REVIEW}, False),
    "annotation.delete": ("evaluations.change_annotation", {V.DRAFT, V.IN_REVIEW}, False),
}
STATELESS = {
    "version.start": "evaluations.add_evaluationversion",
    "rubric_version.create": "evaluations.add_rubricversion",
    "rubric_version.clone": "evaluations.add_rubricversion",
    "case.create": "cases.add_case",
    "organization.create": "cases.add_organization",
    "organization.edit": "cases.change_organization",
    "organization.merge": "cases.delete_organization",
    "relationship.edit": "cases.change_organization",
}
# Actions on a case's facts: they take the case, and a case with a published analysis refuses them
# (its facts change only through a new version).
CASE_ACTIONS = {
    "case.edit": "cases.change_case",
    "case.delete": "cases.delete_case",
    "source.add": "cases.add_source",
    "source.edit": "cases.change_source",
    "source.delete": "cases.change_source",
    "party.add": "cases.add_party",
    "party.remove": "cases.change_party",
    "timeline_event.add": "cases.add_timelineevent",
    "timeline_event.edit": "cases.change_timelineevent",
    "timeline_event.delete": "cases.change_timelineevent",
}
RUBRIC_ACTIONS = {
    "rubric_version.edit": "evaluations.change_rubricversion",
    "rubric_version.activate": "evaluations.activate_rubricversion",
}
# The review loop: action -> (permission, the states it is allowed from, only the author may)
REVIEW_ACTIONS = {
    "version.withdraw": ("evaluations.submit_evaluationversion", {V.IN_REVIEW}, True),
    "version.discard": ("evaluations.discard_evaluationversion", {V.DRAFT}, False),
    "version.assign": ("evaluations.change_evaluationversion", {V.DRAFT, V.IN_REVIEW}, False),
    "comment.add": ("evaluations.view_evaluationversion", {V.DRAFT, V.IN_REVIEW}, False),
    "comment.resolve": ("evaluations.view_evaluationversion", {V.DRAFT, V.IN_REVIEW}, False),
}


def version(state: str, author_id: int = 2) -> EvaluationVersion:
    return EvaluationVersion(state=state, author_id=author_id)


@pytest.mark.parametrize("action", sorted(VERSION_ACTIONS))
@pytest.mark.parametrize("state", ALL_STATES)
def test_every_version_action_from_every_state(action, state):
    perm, states, _ = VERSION_ACTIONS[action]
    user = User({perm}, pk=1)
    obj = version(state)
    assert policy.permission(action) == perm
    assert policy.allowed(user, action, obj) is (state in states)
    error = policy.refusal(user, action, obj)
    if state in states:
        assert error is None
        policy.check(user, action, obj)
        policy.check_state(action, obj)
    else:
        assert isinstance(error, TransitionNotAllowed)
        with pytest.raises(TransitionNotAllowed):
            policy.check(user, action, obj)
        with pytest.raises(TransitionNotAllowed):
            policy.check_state(action, obj)


@pytest.mark.parametrize("action", sorted(VERSION_ACTIONS))
def test_every_version_action_needs_its_permission(action):
    perm, states, _ = VERSION_ACTIONS[action]
    others = User({p for p, _, _ in VERSION_ACTIONS.values()} - {perm} | set(STATELESS.values()))
    obj = version(next(iter(states)))
    with pytest.raises(PermissionDenied):
        policy.check(others, action, obj)
    with pytest.raises(PermissionDenied):
        policy.check(None, action, obj)
    # the permission is checked before the state
    assert isinstance(policy.refusal(User(), action, version(V.SUPERSEDED)), PermissionDenied)


@pytest.mark.parametrize("action", sorted(VERSION_ACTIONS))
def test_four_eyes_only_where_the_table_says(action):
    perm, states, four_eyes = VERSION_ACTIONS[action]
    author = User({perm}, pk=2)
    obj = version(next(iter(sorted(states))), author_id=2)
    error = policy.refusal(author, action, obj)
    if four_eyes:
        assert isinstance(error, PermissionDenied)
        assert str(error) == "You cannot approve a version you wrote; another reviewer must."
        # ... unless asked without it (the desk's "why no button"), and never for someone else
        assert policy.refusal(author, action, obj, four_eyes=False) is None
        assert policy.refusal(User({perm}, pk=3), action, obj) is None
    else:
        assert error is None
    # four eyes is checked before the state
    if four_eyes:
        assert isinstance(policy.refusal(author, action, version(V.PUBLISHED, author_id=2)), PermissionDenied)


@pytest.mark.parametrize("action", sorted(STATELESS))
def test_stateless_actions_check_only_the_permission(action):
    perm = STATELESS[action]
    assert policy.permission(action) == perm
    user = User({perm})
    for state in ALL_STATES:
        assert policy.allowed(user, action, version(state, author_id=user.pk))
    assert policy.allowed(user, action)
    assert not policy.allowed(User(set(STATELESS.values()) - {perm}), action)
    policy.check_state(action, version(V.SUPERSEDED))


@pytest.mark.parametrize("action", sorted(CASE_ACTIONS))
@pytest.mark.parametrize("status", [Case.Status.DRAFT, Case.Status.PUBLISHED])
def test_case_actions_only_on_a_never_published_case(action, status):
    perm = CASE_ACTIONS[action]
    assert policy.permission(action) == perm
    user = User({perm})
    case = Case(status=status)
    error = policy.refusal(user, action, case)
    if status == Case.Status.DRAFT:
        assert error is None
        policy.check(user, action, case)
        policy.check_state(action, case)
    else:
        assert isinstance(error, TransitionNotAllowed)
        assert str(error) == policy.FACTS_ON_RECORD
        with pytest.raises(TransitionNotAllowed):
            policy.check_state(action, case)
    # Without the case only the permission is checked; the permission comes before the state.
    assert policy.allowed(user, action)
    others = User((set(CASE_ACTIONS.values()) | set(STATELESS.values())) - {perm})
    assert isinstance(policy.refusal(others, action, case), PermissionDenied)
    assert not policy.allowed(others, action)


@pytest.mark.parametrize("action", sorted(RUBRIC_ACTIONS))
@pytest.mark.parametrize(
    "status", [RubricVersion.Status.DRAFT, RubricVersion.Status.ACTIVE, RubricVersion.Status.RETIRED]
)
def test_rubric_version_actions_from_every_status(action, status):
    user = User({RUBRIC_ACTIONS[action]})
    assert policy.permission(action) == RUBRIC_ACTIONS[action]
    obj = RubricVersion(status=status, number=4)
    assert policy.allowed(user, action, obj) is (status == RubricVersion.Status.DRAFT)
    assert not policy.allowed(User(set(RUBRIC_ACTIONS.values()) - {RUBRIC_ACTIONS[action]}), action, obj)


def test_the_refusal_messages():
    user = EVERYTHING
    assert str(policy.refusal(user, "version.edit", version(V.IN_REVIEW))) == "cannot edit a version that is in review"
    assert (
        str(policy.refusal(user, "version.submit", version(V.PUBLISHED))) == "cannot submit a version that is published"
    )
    assert (
        str(policy.refusal(user, "version.send_back", version(V.DRAFT))) == "cannot send back a version that is draft"
    )
    assert (
        str(policy.refusal(user, "version.approve", version(V.SCHEDULED)))
        == "cannot approve a version that is scheduled"
    )
    assert str(policy.refusal(user, "version.schedule", version(V.DRAFT))) == "cannot approve a version that is draft"
    assert (
        str(policy.refusal(user, "version.publish", version(V.DRAFT)))
        == "a version in state 'draft' cannot be published"
    )
    assert (
        str(policy.refusal(user, "annotation.add", version(V.SCHEDULED)))
        == "cannot annotate a version that is scheduled"
    )
    assert (
        str(policy.refusal(user, "annotation.delete", version(V.PUBLISHED)))
        == "cannot remove annotations from a version that is published"
    )
    active = RubricVersion(status=RubricVersion.Status.ACTIVE, number=4)
    assert str(policy.refusal(user, "rubric_version.edit", active)) == "version 4 is active: it can no longer change"
    assert (
        str(policy.refusal(user, "rubric_version.activate", active))
        == "only a draft version can be activated; this one is active"
    )


@pytest.mark.parametrize(
    ("action", "doing"),
    [
        ("version.start", "start an evaluation"),
        ("version.edit", "edit evaluations"),
        ("version.submit", "submit for review"),
        ("version.send_back", "send versions back"),
        ("version.approve", "approve or publish"),
        ("version.schedule", "approve or publish"),
        ("version.publish", "approve or publish"),
        ("version.reschedule", "reschedule versions"),
        ("version.unschedule", "unschedule versions"),
        ("version.rebase", "move drafts onto the active rubric"),
        ("annotation.add", "annotate"),
        ("annotation.delete", "remove annotations"),
        ("rubric_version.create", "create rubric versions"),
        ("rubric_version.clone", "create rubric versions"),
        ("rubric_version.edit", "edit rubric versions"),
        ("rubric_version.activate", "activate rubric versions"),
        ("case.create", "create cases"),
        ("case.edit", "edit cases"),
        ("case.delete", "delete cases"),
        ("organization.create", "add organizations"),
        ("organization.edit", "edit organizations"),
        ("organization.merge", "merge organizations"),
        ("relationship.edit", "record relationships between organizations"),
        ("source.add", "add sources"),
        ("source.edit", "edit sources"),
        ("source.delete", "remove sources"),
        ("party.add", "add parties"),
        ("party.remove", "remove parties"),
        ("timeline_event.add", "add timeline events"),
    ],
)
def test_the_permission_messages(action, doing):
    assert str(policy.refusal(User(), action)) == f"You may not {doing}."
    assert str(policy.refusal(AnonymousUser(), action)) == f"You may not {doing}."


def test_the_table_has_exactly_these_actions():
    assert set(policy.ACTIONS) == (
        set(VERSION_ACTIONS)
        | set(STATELESS)
        | set(CASE_ACTIONS)
        | set(RUBRIC_ACTIONS)
        | set(REVIEW_ACTIONS)
        | set(DOUBLE_ACTIONS)
    )


@pytest.mark.parametrize("action", sorted(REVIEW_ACTIONS))
@pytest.mark.parametrize("state", ALL_STATES)
def test_every_review_action_from_every_state(action, state):
    perm, states, author_only = REVIEW_ACTIONS[action]
    assert policy.permission(action) == perm
    author, other = User({perm}, pk=2), User({perm}, pk=1)
    obj = version(state, author_id=2)
    assert policy.allowed(author, action, obj) is (state in states)
    assert policy.allowed(other, action, obj) is (state in states and not author_only)
    assert not policy.allowed(User(pk=2), action, obj)
    refused = policy.refusal(other, action, obj)
    if author_only:
        assert isinstance(refused, PermissionDenied) and str(refused) == "Only its author may withdraw a version."
    if state not in states:
        assert isinstance(policy.refusal(author, action, obj), TransitionNotAllowed)


# Independent double scoring: action -> (permission, who else: "" anyone holding it, "scorers" the two
# scorers only, "scorers_or_reviewers" them or whoever may publish). All from a draft only.
DOUBLE_ACTIONS = {
    "double_scoring.request": ("evaluations.publish_evaluationversion", ""),
    "double_scoring.submit": ("evaluations.change_evaluationversion", "scorers"),
    "double_scoring.settle": ("evaluations.change_evaluationversion", "scorers_or_reviewers"),
}
PUBLISH = "evaluations.publish_evaluationversion"


def double_scored(state: str) -> EvaluationVersion:
    made = version(state)
    made.double_scoring = DoubleScoring(first_scorer_id=1, second_scorer_id=3)
    return made


@pytest.mark.parametrize("action", sorted(DOUBLE_ACTIONS))
@pytest.mark.parametrize("state", ALL_STATES)
def test_double_scoring_actions_by_who_and_state(action, state):
    perm, who = DOUBLE_ACTIONS[action]
    assert policy.permission(action) == perm
    scorer, outsider = User({perm}, pk=3), User({perm}, pk=5)
    reviewer = User({perm, PUBLISH}, pk=6)
    assert isinstance(policy.refusal(User(set(), pk=3), action, double_scored(state)), PermissionDenied)
    for user, may_by_who in (
        (scorer, True),
        (outsider, who == ""),
        (reviewer, who in ("", "scorers_or_reviewers")),
    ):
        error = policy.refusal(user, action, double_scored(state))
        if not may_by_who:
            assert isinstance(error, PermissionDenied), (user, error)
        elif state == V.DRAFT:
            assert error is None, (user, error)
        else:
            assert isinstance(error, TransitionNotAllowed), (user, error)
    if who:  # a version nobody marked for double scoring cannot be scored or settled as one
        assert "not marked" in str(policy.refusal(scorer, action, version(V.DRAFT)))


def test_who_sees_drafts():
    assert policy.DRAFT_VIEWERS == {
        "version": "evaluations.view_evaluationversion",
        "case": "cases.view_case",
        "rubric_version": "evaluations.change_rubricversion",
    }
    viewer = User({"evaluations.view_evaluationversion"})
    assert policy.may_see_drafts(viewer)
    assert policy.is_newsroom(viewer)
    assert not policy.may_see_drafts(viewer, "case")
    assert policy.may_see_drafts(User({"cases.view_case"}), "case")
    assert not policy.is_newsroom(User({"cases.view_case"}))
    assert not policy.may_see_drafts(None)
    assert not policy.may_see_drafts(AnonymousUser())
    assert not policy.may_see_drafts(User({"evaluations.view_evaluationversion"}, is_authenticated=False))
    assert policy.may_see_drafts(viewer) is True
    assert policy.may_see_drafts(None) is False


@pytest.mark.parametrize("state", ALL_STATES)
def test_version_buttons(state):
    reviewer = User({p for p, _, _ in VERSION_ACTIONS.values()}, pk=1)
    theirs = version(state, author_id=2)
    buttons = policy.version_buttons(reviewer, theirs)
    assert buttons == {
        "can_edit": state == V.DRAFT,
        "can_submit": state == V.DRAFT,
        "can_send_back": state in (V.IN_REVIEW, V.SCHEDULED),
        "can_approve": state == V.IN_REVIEW,
        "can_reschedule": state == V.SCHEDULED,
        "can_unschedule": state == V.SCHEDULED,
        "own_version_in_review": False,
        "can_rebase": state == V.DRAFT,
        "can_withdraw": False,  # only its author withdraws
        "can_discard": False,  # not among these permissions
        "can_assign": state in (V.DRAFT, V.IN_REVIEW),
        "can_comment": False,  # commenting is the newsroom's (view_evaluationversion), not given here
        "can_resolve": False,
        "approval_blocked": "",  # an unsaved version has no comments
        "can_annotate": state in (V.DRAFT, V.IN_REVIEW),
        "can_remove_annotations": state in (V.DRAFT, V.IN_REVIEW),
    }
    own = policy.version_buttons(reviewer, version(state, author_id=1))
    assert own["can_approve"] is False
    assert own["can_reschedule"] is False  # a new time is a new approval: four eyes
    assert own["can_unschedule"] is (state == V.SCHEDULED)
    assert own["own_version_in_review"] is (state == V.IN_REVIEW)
    assert own["can_withdraw"] is (state == V.IN_REVIEW)
    assert policy.version_buttons(User(), theirs) == {**dict.fromkeys(buttons, False), "approval_blocked": ""}


# --- double_scores_visible: the blind rule of a double scoring ------------------------------------------


@dataclass
class _Version:
    is_public: bool


@dataclass
class _Double:
    version: _Version
    both_submitted: bool


NEWSROOM = User({policy.NEWSROOM_PERMISSION}, pk=2)
SCORER = User(set(), pk=7)  # a scorer without the newsroom's permission still sees their own


@pytest.mark.parametrize(
    ("user", "public", "both", "visible"),
    [
        (SCORER, False, False, True),  # their own, always
        (User(set(), pk=7, is_authenticated=False), False, False, False),  # same id, not signed in
        (NEWSROOM, False, False, False),  # the other scorer or a reviewer: not before both submitted
        (NEWSROOM, False, True, True),
        (User(set(), pk=3), False, True, False),  # outside the newsroom: only once public
        (AnonymousUser(), False, True, False),
        (None, False, True, False),
        (AnonymousUser(), True, False, True),  # published: part of the record
        (None, True, False, True),
    ],
)
def test_double_scores_visible(user, public, both, visible):
    double = _Double(_Version(public), both)
    assert policy.double_scores_visible(user, double, 7) is visible


# --- saved versions: revisions by others, review comment threads, the exact messages ----------------

COMMENTER = "evaluations.view_evaluationversion"
NEWSROOM_REVIEWER = User({p for p, _, _ in VERSION_ACTIONS.values()} | {p for p, _, _ in REVIEW_ACTIONS.values()}, pk=1)


def saved(state: str, *, author_id: int = 2, saved_by=(), comments=()) -> EvaluationVersion:
    """A saved version (it has a pk) whose revisions and review comments are prefetched: no database.

    ``comments``: (resolved, is a reply) per comment."""
    made = EvaluationVersion(pk=10, state=state, author_id=author_id)
    made._prefetched_objects_cache = {
        "revisions": [Revision(version=made, saved_by_id=pk) for pk in saved_by],
        "review_comments": [
            ReviewComment(
                version=made, resolved_at=timezone.now() if resolved else None, parent_id=5 if reply else None
            )
            for resolved, reply in comments
        ],
    }
    return made


def test_whoever_saved_part_of_a_version_may_not_approve_it():
    obj = saved(V.IN_REVIEW, saved_by=(1, 3))
    for action in ("version.approve", "version.schedule", "version.reschedule"):
        error = policy.refusal(
            NEWSROOM_REVIEWER,
            action,
            saved(V.SCHEDULED if action == "version.reschedule" else V.IN_REVIEW, saved_by=(1,)),
        )
        assert isinstance(error, PermissionDenied)
        assert str(error) == (
            "You saved part of this version (its text, scores or margin notes); another reviewer must approve it."
        )
    assert policy.contributor_ids(obj) == {2, 1, 3}
    assert policy.refusal(User(NEWSROOM_REVIEWER.perms, pk=4), "version.approve", obj) is None
    assert policy.refusal(NEWSROOM_REVIEWER, "version.approve", obj, four_eyes=False) is None
    # the author is told the author's reason, even when they saved revisions too
    assert str(policy.refusal(User(NEWSROOM_REVIEWER.perms, pk=2), "version.approve", obj)) == (
        "You cannot approve a version you wrote; another reviewer must."
    )


# (resolved, reply) per comment -> the refusal of an approval, None when it may go ahead
COMMENT_CASES = [
    ((), None),
    (((True, False),), None),  # resolved
    (((False, True),), None),  # a reply is not a thread of its own
    (((True, False), (False, True)), None),
    (((False, False),), "1 review comment is not resolved"),
    (((False, False), (True, False), (False, True)), "1 review comment is not resolved"),
    (((False, False), (False, False)), "2 review comments are not resolved"),
    (((False, False), (False, False), (False, False)), "3 review comments are not resolved"),
]
BLOCKED_TAIL = ": resolve them (or reply and resolve) before approving"


@pytest.mark.parametrize(("comments", "blocked"), COMMENT_CASES)
def test_unresolved_review_comments_block_approval_and_nothing_else(comments, blocked):
    obj = saved(V.IN_REVIEW, comments=comments)
    assert policy.open_comment_count(obj) == (int(blocked.split()[0]) if blocked else 0)
    for action in ("version.approve", "version.schedule"):
        error = policy.refusal(NEWSROOM_REVIEWER, action, obj)
        if blocked is None:
            assert error is None
        else:
            assert isinstance(error, TransitionNotAllowed)
            assert str(error) == blocked + BLOCKED_TAIL
    # the state is checked first: a version out of review says so, whatever its comments
    assert str(policy.refusal(NEWSROOM_REVIEWER, "version.approve", saved(V.DRAFT, comments=comments))) == (
        "cannot approve a version that is draft"
    )
    # no other action waits for the comments
    for action in ("version.send_back", "version.assign", "annotation.add", "version.withdraw"):
        user = User(NEWSROOM_REVIEWER.perms, pk=2)  # the author, for the withdrawal
        assert policy.refusal(user, action, obj) is None, action
    reviewer = User(NEWSROOM_REVIEWER.perms | {COMMENTER}, pk=1)
    buttons = policy.version_buttons(reviewer, obj)
    assert buttons["can_approve"] is (blocked is None)
    assert buttons["approval_blocked"] == ("" if blocked is None else blocked + BLOCKED_TAIL)
    assert buttons["own_version_in_review"] is False  # not their own version: the comments are the reason
    assert policy.version_buttons(User(), obj)["approval_blocked"] == ""
    # only the comments' message: not the state's, nor four eyes'
    assert policy.version_buttons(reviewer, saved(V.DRAFT, comments=comments))["approval_blocked"] == ""
    assert (
        policy.version_buttons(reviewer, saved(V.IN_REVIEW, author_id=1, comments=comments))["approval_blocked"] == ""
    )


ROLES = {
    "nobody": set(),
    "commenter": {COMMENTER},
    "discarder": {"evaluations.discard_evaluationversion"},
    "newsroom": {COMMENTER, "evaluations.discard_evaluationversion", "evaluations.change_evaluationversion"},
}


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("state", ALL_STATES)
def test_the_discard_and_comment_buttons_by_role_and_state(role, state):
    perms = ROLES[role]
    buttons = policy.version_buttons(User(perms, pk=1), saved(state))
    assert buttons["can_discard"] is ("evaluations.discard_evaluationversion" in perms and state == V.DRAFT)
    assert buttons["can_comment"] is (COMMENTER in perms and state in (V.DRAFT, V.IN_REVIEW))
    assert buttons["can_resolve"] is (COMMENTER in perms and state in (V.DRAFT, V.IN_REVIEW))
    assert buttons["can_assign"] is (
        "evaluations.change_evaluationversion" in perms and state in (V.DRAFT, V.IN_REVIEW)
    )


# who -> the refusal of someone holding the permission who is neither scorer nor reviewer
WHO_REFUSALS = {
    "double_scoring.submit": "Only the two editors scoring this version independently may do this.",
    "double_scoring.settle": "Only a reviewer or one of the two scorers may settle a difference.",
}


@pytest.mark.parametrize("action", sorted(WHO_REFUSALS))
def test_the_who_may_refusals(action):
    perm, _ = DOUBLE_ACTIONS[action]
    outsider = User({perm}, pk=5)
    error = policy.refusal(outsider, action, double_scored(V.DRAFT))
    assert isinstance(error, PermissionDenied)
    assert str(error) == WHO_REFUSALS[action]
    reviewer = User({perm, PUBLISH}, pk=6)
    error = policy.refusal(reviewer, action, double_scored(V.DRAFT))
    if action == "double_scoring.submit":
        assert str(error) == WHO_REFUSALS[action]
    else:
        assert error is None
    unmarked = policy.refusal(User({perm}, pk=3), action, version(V.DRAFT))
    assert isinstance(unmarked, TransitionNotAllowed)
    assert str(unmarked) == "this version is not marked for double scoring"
    # who comes before the state
    assert str(policy.refusal(outsider, action, double_scored(V.PUBLISHED))) == WHO_REFUSALS[action]
