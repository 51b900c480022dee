"""The review loop: withdraw a submission, discard a draft, assign reviewers, and the private
review comments (on a passage, on a score, or on the version) with their replies and resolution.

Every function checks evaluations.policy, writes in one transaction and leaves an audit entry.
The create and assign functions return what they made (a notification can hang off them).
Review comments are the newsroom's: nothing here is ever shown to readers.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.errors import TransitionNotAllowed
from core.text import text_errors, text_normalize
from evaluations import anchoring, policy
from evaluations.models import AuditEntry, EvaluationVersion, Notification, ReviewAssignment, ReviewComment
from evaluations.services.audit import audit_record
from evaluations.services.facts import version_party_ids
from evaluations.services.notifications import notifications_send, version_notify
from evaluations.services.transitions import version_locked, version_transition

State = EvaluationVersion.State


@transaction.atomic
def evaluation_version_withdraw(*, version: EvaluationVersion, by: User, comment: str = "") -> EvaluationVersion:
    """Its author takes a version in review back to draft (to keep working on it)."""
    policy.check(by, "version.withdraw")
    version = version_locked(version)
    policy.check(by, "version.withdraw", version)
    return version_transition(
        version, to=State.DRAFT, action=AuditEntry.Action.WITHDRAW, by=by, comment=comment.strip()
    )


@transaction.atomic
def evaluation_version_discard(*, version: EvaluationVersion, by: User, comment: str = "") -> EvaluationVersion:
    """Abandon a draft. It stays on the desk's record (audited, with its revisions and its number)
    but no longer counts as the case's open version, and never reaches readers."""
    policy.check(by, "version.discard")
    version = version_locked(version)
    policy.check_state("version.discard", version)
    return version_transition(
        version, to=State.DISCARDED, action=AuditEntry.Action.DISCARD, by=by, comment=comment.strip()
    )


# --- Reviewers ------------------------------------------------------------------------------


@transaction.atomic
def review_assign(*, version: EvaluationVersion, by: User, reviewer: User) -> ReviewAssignment:
    """Ask ``reviewer`` (someone who may approve, and did not write the version) to review it."""
    policy.check(by, "version.assign")
    version = version_locked(version)
    policy.check_state("version.assign", version)
    problems = []
    if not reviewer.is_active or not reviewer.has_perm(policy.permission("version.approve")):
        problems.append(f"{reviewer.get_username()} is not a reviewer")
    elif reviewer.pk in policy.contributor_ids(version):
        problems.append(f"{reviewer.get_username()} wrote part of this version and cannot review it")
    elif ReviewAssignment.objects.filter(version=version, reviewer=reviewer).exists():
        problems.append(f"{reviewer.get_username()} is already assigned")
    if problems:
        raise ValidationError({"reviewer": problems})
    assignment = ReviewAssignment.objects.create(
        version=version, reviewer=reviewer, assigned_by=by, assigned_at=timezone.now()
    )
    audit_record(
        action=AuditEntry.Action.ASSIGN,
        actor=by,
        from_state=version.state,
        to_state=version.state,
        comment=f"reviewer: {reviewer.get_username()}",
        evaluation_version=version,
    )
    notifications_send(kind=Notification.Kind.ASSIGN, version=version, actor=by, recipients=[reviewer])
    return assignment


@transaction.atomic
def review_unassign(*, version: EvaluationVersion, by: User, reviewer: User) -> None:
    policy.check(by, "version.assign")
    version = version_locked(version)
    policy.check_state("version.assign", version)
    deleted, _ = ReviewAssignment.objects.filter(version=version, reviewer=reviewer).delete()
    if not deleted:
        raise ValidationError({"reviewer": [f"{reviewer.get_username()} is not assigned"]})
    audit_record(
        action=AuditEntry.Action.UNASSIGN,
        actor=by,
        from_state=version.state,
        to_state=version.state,
        comment=f"reviewer: {reviewer.get_username()}",
        evaluation_version=version,
    )


# --- Review comments ------------------------------------------------------------------------


def _anchor(version: EvaluationVersion, quote: str, criterion_key: str, party_id: int | None) -> dict:
    """The comment's anchor fields, or ValidationError: a quote of the narrative, or a score
    (criterion, with its party when scored per party), or neither (the version as a whole)."""
    errors: dict[str, list[str]] = {}
    fields: dict = {"quote": "", "prefix": "", "suffix": "", "criterion": None, "party_id": None}
    if quote and criterion_key:
        errors["quote"] = ["anchor a comment to a passage or to a score, not both"]
    elif quote:
        narrative = text_normalize(version.narrative)
        if quote not in narrative:
            errors["quote"] = ["the quote does not appear in the narrative"]
        else:
            prefix, suffix = anchoring.context_for(narrative, quote)
            fields |= {"quote": quote, "prefix": prefix, "suffix": suffix}
    elif criterion_key:
        criterion = version.evaluation.rubric_version.criteria.filter(key=criterion_key).first()
        if criterion is None:
            errors["criterion"] = [f"unknown criterion {criterion_key!r} for this version's rubric"]
        elif criterion.per_party and party_id is None:
            errors["party"] = [f"criterion {criterion_key!r} is scored per party: name the party"]
        elif not criterion.per_party and party_id is not None:
            errors["party"] = [f"criterion {criterion_key!r} is scored once for the deal: give no party"]
        elif party_id is not None and party_id not in version_party_ids(version):
            errors["party"] = ["that organization is not a party to this case"]
        else:
            fields |= {"criterion": criterion, "party_id": party_id}
    elif party_id is not None:
        errors["party"] = ["a party goes with a criterion"]
    if errors:
        raise ValidationError(errors)
    return fields


@transaction.atomic
def review_comment_create(
    *,
    version: EvaluationVersion,
    by: User,
    body: str,
    quote: str = "",
    criterion_key: str = "",
    party_id: int | None = None,
    parent: ReviewComment | None = None,
) -> ReviewComment:
    """A new private comment (a thread), or a reply to ``parent`` (a thread of this version, not
    resolved). Returns the comment made."""
    policy.check(by, "comment.add")
    version = version_locked(version)
    policy.check_state("comment.add", version)
    body = text_normalize(body or "")
    quote = text_normalize(quote or "")
    if not body.strip():
        raise ValidationError({"body": ["the comment is empty"]})
    if parent is not None:
        parent = ReviewComment.objects.select_for_update().filter(pk=parent.pk, version=version).first()
        if parent is None or parent.parent_id is not None:
            raise ValidationError({"parent": ["reply to a comment thread of this version"]})
        if parent.resolved_at is not None:
            raise TransitionNotAllowed("this comment thread is resolved: start a new one")
        if quote or criterion_key or party_id is not None:
            raise ValidationError({"parent": ["a reply takes its thread's anchor: give no quote or score"]})
        anchor: dict = {}
    else:
        anchor = _anchor(version, quote, criterion_key, party_id)
    comment = ReviewComment(version=version, parent=parent, author=by, body=body, created_at=timezone.now(), **anchor)
    too_long = text_errors(comment)
    if too_long:
        raise ValidationError(too_long)
    comment.save()
    audit_record(
        action=AuditEntry.Action.COMMENT,
        actor=by,
        from_state=version.state,
        to_state=version.state,
        comment=f"reply to comment {parent.pk}" if parent else f"comment {comment.pk}{_about(comment)}",
        evaluation_version=version,
    )
    version_notify(kind=Notification.Kind.COMMENT, version=version, actor=by, text=comment.body)
    return comment


@transaction.atomic
def review_comment_resolve(*, comment: ReviewComment, by: User) -> ReviewComment:
    """Close a comment thread (its first comment): it no longer blocks approval."""
    policy.check(by, "comment.resolve")
    version = version_locked(comment.version)
    policy.check_state("comment.resolve", version)
    comment = ReviewComment.objects.select_for_update().get(pk=comment.pk)
    if comment.parent_id is not None:
        raise ValidationError({"comment": ["resolve the thread: its first comment"]})
    if comment.resolved_at is not None:
        raise TransitionNotAllowed("this comment thread is already resolved")
    comment.resolved_at = timezone.now()
    comment.resolved_by = by
    comment.save(update_fields=["resolved_at", "resolved_by"])
    audit_record(
        action=AuditEntry.Action.RESOLVE,
        actor=by,
        from_state=version.state,
        to_state=version.state,
        comment=f"comment {comment.pk}",
        evaluation_version=version,
    )
    return comment


def _about(comment: ReviewComment) -> str:
    if comment.quote:
        quote = comment.quote if len(comment.quote) <= 60 else comment.quote[:59] + "…"
        return f" on “{quote}”"
    if comment.criterion is not None:
        return f" on the score {comment.criterion.key}" + (f" (party {comment.party_id})" if comment.party_id else "")
    return ""
