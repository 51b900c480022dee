"""evaluations.policy: every action x state x role, the refusals' messages, and the desk's buttons.

The expected table below is written out by hand from DESIGN.md's roles, not
read from policy.ACTIONS: a change to the policy must change this table too.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from cases.models import Case
from core.errors import TransitionNotAllowed
from evaluations import policy
from evaluations.models import Annotation, DoubleScoring, EvaluationVersion, RubricVersion
from evaluations.services import rubric_versions
from tests.support.accounts import PASSWORD, user_make
from tests.support.content import version_in_review

V = EvaluationVersion.State
R = RubricVersion.Status
C = Case.Status
NEWSROOM = {"editor", "reviewer", "admin", "author_reviewer"}
REVIEWERS = {"reviewer", "admin", "author_reviewer"}
ADMINS = {"admin"}
ROLES = ["editor", "reviewer", "admin", "reader", "anonymous", "author_reviewer"]

# action: (who holds the permission, the states it accepts (None: any), whether the author is refused)
EXPECTED: dict[str, tuple[set[str], set[str] | None, bool]] = {
    "version.start": (NEWSROOM, None, False),
    "version.edit": (NEWSROOM, {V.DRAFT}, False),
    "version.submit": (NEWSROOM, {V.DRAFT}, False),
    "version.send_back": (REVIEWERS, {V.IN_REVIEW, V.SCHEDULED}, False),
    "version.approve": (REVIEWERS, {V.IN_REVIEW}, True),
    "version.schedule": (REVIEWERS, {V.IN_REVIEW}, True),
    "version.publish": (REVIEWERS, {V.IN_REVIEW, V.SCHEDULED}, False),
    "version.reschedule": (REVIEWERS, {V.SCHEDULED}, True),
    "version.unschedule": (REVIEWERS, {V.SCHEDULED}, False),
    "version.rebase": (NEWSROOM, {V.DRAFT}, False),
    "annotation.add": (NEWSROOM, {V.DRAFT, V.IN_REVIEW}, False),
    "annotation.delete": (NEWSROOM, {V.DRAFT, V.IN_REVIEW}, False),
    "rubric_version.create": (ADMINS, None, False),
    "rubric_version.clone": (ADMINS, None, False),
    "rubric_version.edit": (ADMINS, {R.DRAFT}, False),
    "rubric_version.activate": (ADMINS, {R.DRAFT}, False),
    "case.create": (NEWSROOM, None, False),
    # A case's facts, once it has a published analysis, change only through a new version.
    "case.edit": (NEWSROOM, {C.DRAFT}, False),
    "case.delete": (ADMINS, {C.DRAFT}, False),
    "organization.create": (NEWSROOM, None, False),
    "organization.edit": (NEWSROOM, None, False),
    "organization.merge": (ADMINS, None, False),
    "relationship.edit": (NEWSROOM, None, False),
    "source.add": (NEWSROOM, {C.DRAFT}, False),
    "source.edit": (NEWSROOM, {C.DRAFT}, False),
    "source.delete": (NEWSROOM, {C.DRAFT}, False),
    "party.add": (NEWSROOM, {C.DRAFT}, False),
    "party.remove": (NEWSROOM, {C.DRAFT}, False),
    "timeline_event.add": (NEWSROOM, {C.DRAFT}, False),
    "timeline_event.edit": (NEWSROOM, {C.DRAFT}, False),
    "timeline_event.delete": (NEWSROOM, {C.DRAFT}, False),
    # The review loop: the author withdraws; reviewers and admins discard; private comments.
    "version.withdraw": (NEWSROOM, {V.IN_REVIEW}, False),
    "version.discard": (REVIEWERS, {V.DRAFT}, False),
    "version.assign": (NEWSROOM, {V.DRAFT, V.IN_REVIEW}, False),
    "comment.add": (NEWSROOM, {V.DRAFT, V.IN_REVIEW}, False),
    "comment.resolve": (NEWSROOM, {V.DRAFT, V.IN_REVIEW}, False),
    # Independent double scoring, of a draft scored by the editor and the author_reviewer (_objects).
    "double_scoring.request": (REVIEWERS, {V.DRAFT}, False),
    "double_scoring.submit": ({"editor", "author_reviewer"}, {V.DRAFT}, False),
    "double_scoring.settle": ({"editor", "author_reviewer", "reviewer", "admin"}, {V.DRAFT}, False),
}
# Actions only the version's author may take (the objects below are author_reviewer's).
AUTHOR_ONLY = {"version.withdraw"}


@pytest.fixture
def users(db):
    return {
        "editor": user_make("p-editor", "Editors"),
        "reviewer": user_make("p-reviewer", "Reviewers"),
        "admin": user_make("p-admin", "Admins", is_staff=True, is_superuser=True),
        "reader": user_make("p-reader"),
        "anonymous": AnonymousUser(),
        "author_reviewer": user_make("p-author", "Reviewers"),
    }


def _objects(action: str, author, scorer=None) -> list[object]:
    if action.startswith("double_scoring."):
        versions = [EvaluationVersion(state=s, number=2, author_id=author.pk) for s in V.values]
        for version in versions:
            version.double_scoring = DoubleScoring(first_scorer_id=author.pk, second_scorer_id=scorer.pk)
        return versions
    if action.startswith("rubric_version."):
        return [RubricVersion(status=s, number=2) for s in R.values]
    if action.startswith(("version.", "annotation.", "comment.")):
        return [EvaluationVersion(state=s, number=2, author_id=author.pk) for s in V.values]
    if EXPECTED[action][1] is not None:  # the actions on a case's facts take the case (its status)
        return [Case(status=s) for s in C.values]
    return [None]


def test_the_table_covers_every_action():
    assert set(EXPECTED) == set(policy.ACTIONS)


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_every_action_state_and_role(action, users):
    holders, states, four_eyes = EXPECTED[action]
    wrong = []
    for obj in _objects(action, users["author_reviewer"], users["editor"]):
        state = getattr(obj, "state", None) or getattr(obj, "status", None)
        for role in ROLES:
            expected = (
                role in holders
                and (states is None or state in states)
                and not (four_eyes and role == "author_reviewer")
                and not (action in AUTHOR_ONLY and role != "author_reviewer")
            )
            if policy.allowed(users[role], action, obj) != expected:
                wrong.append((role, state, expected))
            error = policy.refusal(users[role], action, obj)
            if role not in holders and not isinstance(error, PermissionDenied):
                wrong.append((role, state, "should be PermissionDenied", error))
            not_author = action in AUTHOR_ONLY and role != "author_reviewer"
            wrong_state = role in holders and states is not None and state not in states and not four_eyes
            wrong_state = wrong_state and not not_author
            if role in holders and not_author and not isinstance(error, PermissionDenied):
                wrong.append((role, state, "should be PermissionDenied (not the author)", error))
            if wrong_state and not isinstance(error, TransitionNotAllowed):
                wrong.append((role, state, "should be TransitionNotAllowed", error))
    assert not wrong


def _raised(call) -> Exception:
    with pytest.raises((PermissionDenied, TransitionNotAllowed)) as caught:
        call()
    return caught.value


def test_the_refusals_say_what_they_always_said(users):
    mine = EvaluationVersion(state=V.IN_REVIEW, author_id=users["author_reviewer"].pk)
    cases = [
        (
            lambda: policy.check(users["author_reviewer"], "version.approve", mine),
            PermissionDenied,
            "You cannot approve a version you wrote; another reviewer must.",
        ),
        (
            lambda: policy.check(users["editor"], "version.approve", mine),
            PermissionDenied,
            "You may not approve or publish.",
        ),
        (
            lambda: policy.check(users["editor"], "version.edit", mine),
            TransitionNotAllowed,
            "cannot edit a version that is in review",
        ),
        (
            lambda: policy.check_state("version.publish", EvaluationVersion(state=V.PUBLISHED)),
            TransitionNotAllowed,
            "a version in state 'published' cannot be published",
        ),
        (
            lambda: policy.check(users["admin"], "rubric_version.activate", RubricVersion(status=R.ACTIVE, number=1)),
            TransitionNotAllowed,
            "only a draft version can be activated; this one is active",
        ),
        (
            lambda: policy.check_state("rubric_version.edit", RubricVersion(status=R.RETIRED, number=3)),
            TransitionNotAllowed,
            "version 3 is retired: it can no longer change",
        ),
        (
            lambda: policy.check(users["editor"], "rubric_version.create"),
            PermissionDenied,
            "You may not create rubric versions.",
        ),
    ]
    for call, kind, message in cases:
        error = _raised(call)
        assert type(error) is kind and str(error) == message


def test_who_sees_drafts(users):
    for role in ROLES:
        assert policy.is_newsroom(users[role]) == (role in NEWSROOM)
        assert policy.may_see_drafts(users[role], "case") == (role in NEWSROOM)
        assert policy.may_see_drafts(users[role], "rubric_version") == (role in ADMINS)
    assert policy.is_newsroom(None) is False


# --- The desk shows the buttons the policy allows ------------------------------------


def _version_in(state: str, author) -> EvaluationVersion:
    published = (
        EvaluationVersion.objects.filter(state=V.PUBLISHED)
        .exclude(case__evaluation_versions__state__in=[V.DRAFT, V.IN_REVIEW, V.SCHEDULED])
        .first()
    )
    if state == V.PUBLISHED:
        return published
    version = version_in_review(published.case_id, author)
    EvaluationVersion.objects.filter(pk=version.pk).update(state=state)
    Annotation.objects.create(
        version=version, quote=version.narrative[:20], kind="context", body="a note", author=author
    )
    return EvaluationVersion.objects.get(pk=version.pk)


@pytest.mark.parametrize("state", [V.DRAFT, V.IN_REVIEW, V.SCHEDULED, V.PUBLISHED])
def test_desk_buttons_follow_the_policy(demo, users, client, state):
    version = _version_in(state, users["author_reviewer"])
    buttons = {
        "version.edit": reverse("desk-version-edit", args=[version.pk]),
        "version.submit": reverse("desk-version-submit", args=[version.pk]),
        "version.approve": reverse("desk-version-approve", args=[version.pk]),
        "version.send_back": reverse("desk-version-send-back", args=[version.pk]),
        "annotation.add": reverse("desk-annotation-add", args=[version.pk]),
    }
    note = version.annotations.first()
    if note is not None:
        buttons["annotation.delete"] = reverse("desk-annotation-delete", args=[note.pk])
    for role in ["editor", "reviewer", "admin", "author_reviewer"]:
        client.login(username=users[role].username, password=PASSWORD)
        html = client.get(reverse("desk-version", args=[version.pk])).content.decode()
        for action, url in buttons.items():
            holders, states, four_eyes = EXPECTED[action]
            expected = role in holders and state in states and not (four_eyes and role == "author_reviewer")
            assert (url in html) == expected, (role, state, action)
        assert ("another reviewer must approve it" in html) == (role == "author_reviewer" and state == V.IN_REVIEW)
        client.logout()
    client.login(username="p-reader", password=PASSWORD)
    assert client.get(reverse("desk-version", args=[version.pk])).status_code == 403


def test_desk_case_page_offers_what_the_policy_allows(demo, users, client):
    version = _version_in(V.DRAFT, users["author_reviewer"])
    edit_case = reverse("desk-case-edit", args=[version.case_id])
    edit_version = reverse("desk-version-edit", args=[version.pk])
    for role in ["editor", "admin"]:
        client.login(username=users[role].username, password=PASSWORD)
        html = client.get(reverse("desk-case", args=[version.case_id])).content.decode()
        assert edit_case in html and edit_version in html
        client.logout()
    # Someone who may open the desk but not edit: no edit links.
    viewer = user_make("p-viewer")
    viewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_evaluationversion", "view_case"]))
    client.login(username="p-viewer", password=PASSWORD)
    html = client.get(reverse("desk-case", args=[version.case_id])).content.decode()
    assert edit_case not in html and edit_version not in html


# --- The rubric services check the policy themselves (they used to leave it to their callers) ------


def test_rubric_services_refuse_who_may_not(demo, users):
    active = RubricVersion.objects.get(status=R.ACTIVE)
    draft = rubric_versions.rubric_version_clone(version=active, by=users["admin"])
    for role in ["editor", "reviewer", "reader"]:
        user = users[role]
        calls = [
            lambda user=user: rubric_versions.rubric_version_clone(version=active, by=user),
            lambda user=user: rubric_versions.rubric_version_create(rubric=active.rubric, data={}, by=user),
            lambda user=user: rubric_versions.rubric_version_update_draft(version=draft, by=user, data={}),
            lambda user=user: rubric_versions.rubric_version_activate(version=draft, by=user),
        ]
        for call in calls:
            assert isinstance(_raised(call), PermissionDenied), role
    assert RubricVersion.objects.filter(rubric=active.rubric).count() == 2
    assert RubricVersion.objects.get(pk=draft.pk).status == R.DRAFT
    rubric_versions.rubric_version_activate(version=draft, by=users["admin"])
    assert RubricVersion.objects.get(pk=draft.pk).status == R.ACTIVE
