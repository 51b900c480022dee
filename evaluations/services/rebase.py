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
    """Move a draft onto its rubric's active version: scores carry over by criterion key (with
    their rationale, sources and quotes) where the active version has the key, scored the same
    way (per party or per deal) and on a scale that holds the value; the rest are dropped.

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
    new_criteria = {c.key: c for c in active.criteria.all()}
    old_keys = set(old.criteria.values_list("key", flat=True))
    carried: list[str] = []
    dropped: list[str] = []
    for score in current.scores.select_related("criterion").order_by("criterion__position", "id"):
        criterion = new_criteria.get(score.criterion.key)
        fits = (
            criterion is not None
            and criterion.per_party == (score.party_id is not None)
            and active.scale_min <= score.value <= active.scale_max
        )
        if fits:
            # The row stays (its sources and citations with it); only its criterion changes.
            Score.objects.filter(pk=score.pk).update(criterion=criterion)
            carried.append(score.criterion.key)
        else:
            score.delete()
            dropped.append(score.criterion.key)
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
        to_score=tuple(key for key in new_criteria if key not in old_keys),
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
