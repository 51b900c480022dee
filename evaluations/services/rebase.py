"""Moving a draft started under a retired rubric version onto the active one, in one step."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from core.errors import EditConflict, TransitionNotAllowed
from evaluations import policy
from evaluations.models import AuditEntry, Evaluation, EvaluationVersion, RubricVersion, Score
from evaluations.services.audit import audit_record
from evaluations.services.revisions import revision_record
from evaluations.services.transitions import version_locked
from evaluations.services.workflow import scores_carry


@dataclass(frozen=True)
class RebaseResult:
    version: EvaluationVersion
    from_number: int
    to_number: int
    carried: tuple[str, ...]  # criterion keys whose scores came along
    dropped: tuple[str, ...]  # criterion keys whose scores the active version cannot take
    to_score: tuple[str, ...]  # criterion keys the active version adds: score them

    def summary(self) -> str:
        parts = [f"moved from rubric v{self.from_number} to v{self.to_number}"]
        parts.append(f"scores carried: {', '.join(self.carried) or 'none'}")
        if self.dropped:
            parts.append(f"dropped: {', '.join(self.dropped)}")
        if self.to_score:
            parts.append(f"new criteria to score: {', '.join(self.to_score)}")
        return "; ".join(parts)


@transaction.atomic
def evaluation_version_rebase(*, version: EvaluationVersion, by: User, expected_lock: int) -> RebaseResult:
    """Move a draft onto its rubric's active version: scores carry over as a new draft's do
    (``workflow.scores_carry``: through the crosswalk, by key where there is none, with their
    rationale, sources and quotes); what cannot carry is dropped.

    Audited, and kept as a revision when the scores changed (revisions keep criterion keys,
    so a move that carries every score changes no content). EditConflict if someone saved
    since ``expected_lock``; TransitionNotAllowed if the draft's rubric version is the active one.
    """
    policy.check(by, "version.rebase")
    current = version_locked(version)
    policy.check_state("version.rebase", current)
    if current.lock_version != expected_lock:
        raise EditConflict(current)
    old = current.evaluation.rubric_version
    active = RubricVersion.objects.filter(rubric_id=old.rubric_id, status=RubricVersion.Status.ACTIVE).first()
    if active is None:
        raise TransitionNotAllowed("this rubric has no active version to move onto")
    if active.pk == old.pk:
        raise TransitionNotAllowed(f"this draft is already under the active rubric version (v{old.number})")
    new_keys = list(active.criteria.values_list("key", flat=True))
    old_keys = set(old.criteria.values_list("key", flat=True))
    scores = list(current.scores.select_related("criterion").prefetch_related("sources", "citations__source"))
    # The same carrying rule as a new draft's (the crosswalk; by key where there is none): new rows
    # under the active version's criteria, with their rationale, sources and quotes; the old ones go.
    carried_from = scores_carry(scores=scores, scored_under=old, version=current, rubric_version=active)
    Score.objects.filter(pk__in=[score.pk for score in scores]).delete()
    carried = [s.criterion.key for s in scores if (s.criterion.key, s.party_id) in carried_from]
    dropped = [s.criterion.key for s in scores if (s.criterion.key, s.party_id) not in carried_from]
    evaluation, _ = Evaluation.objects.get_or_create(case_id=current.case_id, rubric_version=active)
    current.evaluation = evaluation
    current.lock_version += 1
    current.save()
    result = RebaseResult(
        version=current,
        from_number=old.number,
        to_number=active.number,
        carried=tuple(dict.fromkeys(carried)),
        dropped=tuple(dict.fromkeys(dropped)),
        to_score=tuple(key for key in new_keys if key not in old_keys),
    )
    revision_record(version=current, by=by, action=None, what=result.summary())
    audit_record(
        action=AuditEntry.Action.REBASE,
        actor=by,
        from_state=current.state,
        to_state=current.state,
        comment=result.summary(),
        evaluation_version=current,
    )
    return result
