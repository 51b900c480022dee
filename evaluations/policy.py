"""Who may do what to which object, now: the one table, the one answer.

Every action names the Django permission it needs, the states the object
must be in, and whether the four-eyes rule applies (nobody approves a
version they wrote any part of: its author, and whoever saved a revision).
Services call ``check`` (it raises PermissionDenied or TransitionNotAllowed, which the desk and the API map to
403 and 409); desk views and templates call ``allowed`` to show buttons.
Who counts as the newsroom (and so sees drafts) is answered here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied

from cases.models import Case
from core.errors import TransitionNotAllowed
from evaluations.models import DoubleScoring, EvaluationVersion, RubricVersion

V = EvaluationVersion.State
R = RubricVersion.Status
OPEN_FOR_NOTES = (V.DRAFT, V.IN_REVIEW)
# A case's facts are edited in place only until its first publication; then through a version.
NEVER_PUBLISHED = (Case.Status.DRAFT,)
FACTS_ON_RECORD = (
    "this case has a published analysis: its facts change only through a new version. "
    "Edit the facts in a draft version (start one if none is open) and submit it for review"
)


@dataclass(frozen=True)
class Rule:
    permission: str
    doing: str  # "You may not {doing}."
    states: tuple[str, ...] | None = None  # the object's state must be one of these (None: any)
    verb: str = ""  # "cannot {verb} a version that is {state}"
    refusal: str = "cannot {verb} a version that is {state}"
    four_eyes: bool = False  # the object's contributors (contributor_ids) may not do this
    author_only: bool = False  # only the version's author may do this
    resolved_comments: bool = False  # refused while a review comment thread is unresolved
    # Who else must the user be, for a version's double scoring: "scorers" (one of its two
    # scorers), "scorers_or_reviewers" (or someone who may publish), "" (no one in particular).
    who: str = ""


# Approving with a future date schedules: one rule for both actions.
_APPROVE = Rule(
    "evaluations.publish_evaluationversion",
    "approve or publish",
    (V.IN_REVIEW,),
    "approve",
    four_eyes=True,
    resolved_comments=True,
)

ACTIONS: dict[str, Rule] = {
    "version.start": Rule("evaluations.add_evaluationversion", "start an evaluation"),
    "version.edit": Rule("evaluations.change_evaluationversion", "edit evaluations", (V.DRAFT,), "edit"),
    "version.submit": Rule("evaluations.submit_evaluationversion", "submit for review", (V.DRAFT,), "submit"),
    "version.send_back": Rule(
        "evaluations.publish_evaluationversion", "send versions back", (V.IN_REVIEW, V.SCHEDULED), "send back"
    ),
    "version.approve": _APPROVE,
    "version.schedule": _APPROVE,
    # The review loop (evaluations.services.review): its author takes a submission back to draft;
    # a draft nobody will finish is discarded (it frees the case for a new version); reviewers are
    # asked; private comments go back and forth until each thread is resolved.
    "version.withdraw": Rule(
        "evaluations.submit_evaluationversion", "withdraw submissions", (V.IN_REVIEW,), "withdraw", author_only=True
    ),
    "version.discard": Rule("evaluations.discard_evaluationversion", "discard drafts", (V.DRAFT,), "discard"),
    "version.assign": Rule(
        "evaluations.change_evaluationversion", "assign reviewers", OPEN_FOR_NOTES, "assign reviewers to"
    ),
    "comment.add": Rule("evaluations.view_evaluationversion", "comment on versions", OPEN_FOR_NOTES, "comment on"),
    "comment.resolve": Rule(
        "evaluations.view_evaluationversion", "resolve review comments", OPEN_FOR_NOTES, "resolve comments on"
    ),
    # A scheduled version's time can change, or it can come off the schedule (back in review),
    # without a send-back. A new time is a new approval of the timing: the four-eyes rule holds.
    "version.reschedule": Rule(
        "evaluations.publish_evaluationversion", "reschedule versions", (V.SCHEDULED,), "reschedule", four_eyes=True
    ),
    "version.unschedule": Rule(
        "evaluations.publish_evaluationversion", "unschedule versions", (V.SCHEDULED,), "unschedule"
    ),
    # Publishing itself follows an approval (or the schedule it set): the state is all it checks.
    "version.publish": Rule(
        "evaluations.publish_evaluationversion",
        "approve or publish",
        (V.IN_REVIEW, V.SCHEDULED),
        refusal="a version in state {state!r} cannot be published",
    ),
    # A draft started under a retired rubric version moves onto the active one (scores by key).
    "version.rebase": Rule(
        "evaluations.change_evaluationversion", "move drafts onto the active rubric", (V.DRAFT,), "move"
    ),
    "annotation.add": Rule("evaluations.add_annotation", "annotate", OPEN_FOR_NOTES, "annotate"),
    "annotation.delete": Rule(
        "evaluations.change_annotation", "remove annotations", OPEN_FOR_NOTES, "remove annotations from"
    ),
    # Independent double scoring (evaluations.services.double_scoring). A reviewer marks a draft;
    # each of the two scorers submits their own scores once; the reviewer or a scorer settles
    # each difference of more than one point. All while the version is a draft.
    "double_scoring.request": Rule(
        "evaluations.publish_evaluationversion", "mark versions for double scoring", (V.DRAFT,), "double-score"
    ),
    "double_scoring.submit": Rule(
        "evaluations.change_evaluationversion", "score versions", (V.DRAFT,), "score", who="scorers"
    ),
    "double_scoring.settle": Rule(
        "evaluations.change_evaluationversion",
        "settle score differences",
        (V.DRAFT,),
        "settle scores of",
        who="scorers_or_reviewers",
    ),
    "rubric_version.create": Rule("evaluations.add_rubricversion", "create rubric versions"),
    "rubric_version.clone": Rule("evaluations.add_rubricversion", "create rubric versions"),
    "rubric_version.edit": Rule(
        "evaluations.change_rubricversion",
        "edit rubric versions",
        (R.DRAFT,),
        refusal="version {number} is {status}: it can no longer change",
    ),
    "rubric_version.activate": Rule(
        "evaluations.activate_rubricversion",
        "activate rubric versions",
        (R.DRAFT,),
        refusal="only a draft version can be activated; this one is {status}",
    ),
    "case.create": Rule("cases.add_case", "create cases"),
    "case.edit": Rule("cases.change_case", "edit cases", NEVER_PUBLISHED, refusal=FACTS_ON_RECORD),
    "case.delete": Rule("cases.delete_case", "delete cases", NEVER_PUBLISHED, refusal=FACTS_ON_RECORD),
    "organization.create": Rule("cases.add_organization", "add organizations"),
    "organization.edit": Rule("cases.change_organization", "edit organizations"),
    "organization.merge": Rule("cases.delete_organization", "merge organizations"),
    "relationship.edit": Rule("cases.change_organization", "record relationships between organizations"),
    "source.add": Rule("cases.add_source", "add sources", NEVER_PUBLISHED, refusal=FACTS_ON_RECORD),
    "source.edit": Rule("cases.change_source", "edit sources", NEVER_PUBLISHED, refusal=FACTS_ON_RECORD),
    "source.delete": Rule("cases.change_source", "remove sources", NEVER_PUBLISHED, refusal=FACTS_ON_RECORD),
    "party.add": Rule("cases.add_party", "add parties", NEVER_PUBLISHED, refusal=FACTS_ON_RECORD),
    "party.remove": Rule("cases.change_party", "remove parties", NEVER_PUBLISHED, refusal=FACTS_ON_RECORD),
    "timeline_event.add": Rule(
        "cases.add_timelineevent", "add timeline events", NEVER_PUBLISHED, refusal=FACTS_ON_RECORD
    ),
    "timeline_event.edit": Rule(
        "cases.change_timelineevent", "edit timeline events", NEVER_PUBLISHED, refusal=FACTS_ON_RECORD
    ),
    "timeline_event.delete": Rule(
        "cases.change_timelineevent", "delete timeline events", NEVER_PUBLISHED, refusal=FACTS_ON_RECORD
    ),
}

# Who sees work in progress, by kind of object: editors, reviewers and admins (evaluations/roles.py).
DRAFT_VIEWERS = {
    "version": "evaluations.view_evaluationversion",
    "case": "cases.view_case",
    "rubric_version": "evaluations.change_rubricversion",
}
# The newsroom: who may open the desk.
NEWSROOM_PERMISSION = DRAFT_VIEWERS["version"]


def permission(action: str) -> str:
    """The Django permission ``action`` needs (for the desk's page-level check)."""
    return ACTIONS[action].permission


def may_see_drafts(user: User | AnonymousUser | None, kind: str = "version") -> bool:
    """Whether ``user`` sees unpublished objects of ``kind``; everyone else sees what is published."""
    return bool(user and user.is_authenticated and user.has_perm(DRAFT_VIEWERS[kind]))


def is_newsroom(user: User | AnonymousUser | None) -> bool:
    return may_see_drafts(user)  # the newsroom sees draft versions (the default kind)


def _state_refusal(rule: Rule, obj: object) -> TransitionNotAllowed | None:
    if rule.states is None or obj is None:
        return None
    if isinstance(obj, RubricVersion | Case):  # a case: published or not, for its facts
        state, display = obj.status, obj.get_status_display()
    else:  # the only other objects the table gives states to are evaluation versions
        version = cast(EvaluationVersion, obj)
        state, display = version.state, version.get_state_display()
    if state in rule.states:
        return None
    return TransitionNotAllowed(
        rule.refusal.format(verb=rule.verb, state=display, status=state, number=getattr(obj, "number", ""))
    )


def contributor_ids(version: EvaluationVersion) -> set[int]:
    """Who wrote any part of ``version`` (the four-eyes rule's people): its author and whoever
    saved a revision of it (narrative, verdict, scores, margin notes). Reads
    ``version.revisions.all()``: prefetch it where many buttons ask."""
    if version.pk is None:  # not saved yet: nobody else can have written it
        return {version.author_id}
    return {version.author_id, *(revision.saved_by_id for revision in version.revisions.all())}


def refusal(
    user: User | AnonymousUser | None, action: str, obj: object = None, *, four_eyes: bool = True
) -> Exception | None:
    """Why ``user`` may not do ``action`` to ``obj`` now (the exception to raise), or None.

    Checked in this order: the permission, the four-eyes rule, the object's
    state. Without ``obj`` only the permission is checked.
    """
    rule = ACTIONS[action]
    if user is None or not user.has_perm(rule.permission):
        return PermissionDenied(f"You may not {rule.doing}.")
    if four_eyes and rule.four_eyes and obj is not None:
        version = cast(EvaluationVersion, obj)
        if version.author_id == user.pk:
            return PermissionDenied("You cannot approve a version you wrote; another reviewer must.")
        if user.pk in contributor_ids(version):
            return PermissionDenied(
                "You saved part of this version (its text, scores or margin notes); another reviewer must approve it."
            )
    if rule.author_only and obj is not None and cast(EvaluationVersion, obj).author_id != user.pk:
        return PermissionDenied(f"Only its author may {rule.verb} a version.")
    if rule.who and obj is not None:
        error = _who_refusal(user, rule, cast(EvaluationVersion, obj))
        if error is not None:
            return error
    return _state_refusal(rule, obj) or _comments_refusal(rule, obj)


def open_comment_count(version: EvaluationVersion) -> int:
    """Unresolved review comment threads of ``version``. Reads ``version.review_comments.all()``:
    prefetch it where a page asks."""
    if version.pk is None:
        return 0
    return sum(1 for comment in version.review_comments.all() if comment.is_open)


def _comments_refusal(rule: Rule, obj: object) -> TransitionNotAllowed | None:
    """The one statement of "unresolved review comments block approval"."""
    if not rule.resolved_comments or obj is None:
        return None
    count = open_comment_count(cast(EvaluationVersion, obj))
    if not count:
        return None
    threads = "1 review comment is" if count == 1 else f"{count} review comments are"
    return TransitionNotAllowed(f"{threads} not resolved: resolve them (or reply and resolve) before approving")


def _who_refusal(user: User | AnonymousUser, rule: Rule, version: EvaluationVersion) -> Exception | None:
    double = getattr(version, "double_scoring", None)
    if double is None:
        return TransitionNotAllowed("this version is not marked for double scoring")
    if user.pk in double.scorer_ids:
        return None
    if rule.who == "scorers_or_reviewers" and user.has_perm(ACTIONS["version.approve"].permission):
        return None
    if rule.who == "scorers":
        return PermissionDenied("Only the two editors scoring this version independently may do this.")
    return PermissionDenied("Only a reviewer or one of the two scorers may settle a difference.")


def double_scores_visible(user: User | AnonymousUser | None, double: DoubleScoring, scorer_id: int) -> bool:
    """Whether ``user`` may read the raw scores ``scorer_id`` gave in a double scoring (a
    ``DoubleScoring``): their own always; anyone's in the newsroom once both scorers have
    submitted; readers', once the version is published (then they are part of the record).

    The one rule every page, endpoint and export that shows raw scores or their differences
    asks: before both have submitted, nobody else (not the other scorer, not a reviewer) sees them.
    """
    if user is not None and user.is_authenticated and user.pk == scorer_id:
        return True
    if double.version.is_public:
        return True
    return double.both_submitted and is_newsroom(user)


def check(user: User | AnonymousUser | None, action: str, obj: object = None) -> None:
    """Raise PermissionDenied or TransitionNotAllowed unless ``user`` may do ``action`` to ``obj`` now."""
    error = refusal(user, action, obj)
    if error is not None:
        raise error


def check_state(action: str, obj: object) -> None:
    """Only the state part of ``action``'s rule, for work the system does on a person's earlier
    decision (a scheduled publication, the admin re-checking a rubric draft it is saving)."""
    error = _state_refusal(ACTIONS[action], obj)
    if error is not None:
        raise error


def allowed(user: User | AnonymousUser | None, action: str, obj: object = None) -> bool:
    return refusal(user, action, obj) is None


def version_buttons(user: User | AnonymousUser, version: EvaluationVersion) -> dict[str, bool | str]:
    """What the desk's version page offers ``user``, straight from the table."""
    return {
        "can_edit": allowed(user, "version.edit", version),
        "can_submit": allowed(user, "version.submit", version),
        "can_send_back": allowed(user, "version.send_back", version),
        "can_approve": allowed(user, "version.approve", version),
        "can_reschedule": allowed(user, "version.reschedule", version),
        "can_unschedule": allowed(user, "version.unschedule", version),
        # A reviewer looking at a version in review they contributed to: say why there is no approve button.
        "own_version_in_review": refusal(user, "version.approve", version, four_eyes=False) is None
        and not allowed(user, "version.approve", version),
        "can_rebase": allowed(user, "version.rebase", version),
        "can_withdraw": allowed(user, "version.withdraw", version),
        "can_discard": allowed(user, "version.discard", version),
        "can_assign": allowed(user, "version.assign", version),
        "can_comment": allowed(user, "comment.add", version),
        "can_resolve": allowed(user, "comment.resolve", version),
        # Why a reviewer who could approve cannot yet: unresolved comments (the message to show).
        "approval_blocked": _approval_blocked(user, version),
        "can_annotate": allowed(user, "annotation.add", version),
        "can_remove_annotations": allowed(user, "annotation.delete", version),
    }


def _approval_blocked(user: User | AnonymousUser, version: EvaluationVersion) -> str:
    error = refusal(user, "version.approve", version)
    return (
        str(error)
        if isinstance(error, TransitionNotAllowed) and _state_refusal(ACTIONS["version.approve"], version) is None
        else ""
    )
