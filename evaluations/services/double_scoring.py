"""Independent double scoring: two editors score a draft blind to each other, then settle.

A reviewer marks a draft for double scoring and names two editors. Each submits a
complete set of scores once (``RawScore`` rows, written only then); nobody else reads
them until both have submitted (``policy.double_scores_visible``). Where the two differ
by more than one point, per criterion and party, a ``Reconciliation`` waits on the desk's
queue; the reviewer or a scorer settles each with a note. Scores within a point of each
other settle on the higher of the two. Once every difference is settled, the settled
values become the version's scores (one revision, saved by whoever settled the last),
and the version may be submitted. Raw scores and settlements stay with the version and
are frozen with it when it is published (migration 0014's triggers).

While a version is double scored, its scores change only through this service: before
the settlement nothing may change them (a scorer's edit would show the other scorer
their view), after it their values stay as settled (rationale and sources may change).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.errors import TransitionNotAllowed
from core.text import clean_text_value
from evaluations import policy
from evaluations.models import (
    AuditEntry,
    DoubleScoring,
    EvaluationVersion,
    RawScore,
    Reconciliation,
    Revision,
    Score,
)
from evaluations.services.audit import audit_record
from evaluations.services.facts import version_party_ids
from evaluations.services.revisions import revision_record
from evaluations.services.transitions import version_locked

Key = tuple[str, int | None]  # (criterion key, party id or None for the deal)
NOT_YET = (
    "this version is being scored independently by two editors: its scores are set when "
    "both have submitted and their differences are settled"
)
FIXED = "this version was scored independently by two editors: its scores stay as settled"


@dataclass(frozen=True)
class RawScoreInput:
    criterion: str  # criterion key
    party_id: int | None
    value: int


def _double_of(version: EvaluationVersion) -> DoubleScoring | None:
    return DoubleScoring.objects.filter(version_id=version.pk).select_related("version").first()


def _expected_keys(version: EvaluationVersion) -> dict[Key, object]:
    """Every (criterion, party) a complete set of scores for ``version`` covers, with its criterion."""
    parties = sorted(version_party_ids(version))
    keys: dict[Key, object] = {}
    for criterion in version.evaluation.rubric_version.criteria.all():
        for party_id in parties if criterion.per_party else [None]:
            keys[(criterion.key, party_id)] = criterion
    return keys


def _mark_contributor(version: EvaluationVersion, by: User, what: str) -> None:
    """Keep ``by`` as a contributor of ``version`` (the four-eyes rule reads revisions) without
    putting anything of the raw scores in a revision: the content is the previous revision's."""
    previous = Revision.objects.filter(version_id=version.pk).order_by("-number").first()
    if previous is None:  # every started version has revision 1; be safe all the same
        revision_record(version=version, by=by, action=None, what=what)
        return
    Revision.objects.create(
        version=version,
        number=previous.number + 1,
        saved_by=by,
        saved_at=timezone.now(),
        what=what,
        content=previous.content,
    )


@transaction.atomic
def double_scoring_request(
    *, version: EvaluationVersion, by: User, first_scorer: User, second_scorer: User
) -> DoubleScoring:
    """Mark a draft for independent double scoring by two editors."""
    policy.check(by, "double_scoring.request")
    version = version_locked(version)
    policy.check_state("double_scoring.request", version)
    if DoubleScoring.objects.filter(version_id=version.pk).exists():
        raise TransitionNotAllowed("this version is already marked for double scoring")
    errors: dict[str, list[str]] = {}
    if first_scorer.pk == second_scorer.pk:
        errors["second_scorer"] = ["name two different editors"]
    for name, scorer in (("first_scorer", first_scorer), ("second_scorer", second_scorer)):
        if not scorer.is_active or not scorer.has_perm(policy.permission("double_scoring.submit")):
            errors.setdefault(name, []).append("this person may not score versions")
    if errors:
        raise ValidationError(errors)
    double = DoubleScoring.objects.create(
        version=version,
        first_scorer=first_scorer,
        second_scorer=second_scorer,
        requested_by=by,
        requested_at=timezone.now(),
    )
    audit_record(
        action=AuditEntry.Action.DOUBLE_REQUEST,
        actor=by,
        from_state=version.state,
        to_state=version.state,
        comment=f"to be scored independently by {first_scorer.get_username()} and {second_scorer.get_username()}",
        evaluation_version=version,
    )
    return double


def _validated_sheet(version: EvaluationVersion, scores: Iterable[RawScoreInput]) -> dict[Key, int]:
    rubric_version = version.evaluation.rubric_version
    expected = _expected_keys(version)
    errors: dict[str, list[str]] = {}
    sheet: dict[Key, int] = {}
    for index, item in enumerate(scores):
        key = (item.criterion, item.party_id)
        problems = []
        if key not in expected:
            problems.append("no such criterion and party to score in this version")
        if not isinstance(item.value, int) or isinstance(item.value, bool):
            problems.append("the score must be a whole number")
        elif not rubric_version.scale_min <= item.value <= rubric_version.scale_max:
            problems.append(f"the score must be between {rubric_version.scale_min} and {rubric_version.scale_max}")
        if key in sheet:
            problems.append("this criterion is scored twice for the same party")
        if problems:
            errors[f"scores[{index}]"] = problems
        else:
            sheet[key] = item.value
    missing = [key for key in expected if key not in sheet]
    if missing and not errors:
        errors["scores"] = [f"score every criterion for every party: {len(missing)} missing"]
    if errors:
        raise ValidationError(errors)
    return sheet


@transaction.atomic
def double_scoring_submit(*, version: EvaluationVersion, by: User, scores: Iterable[RawScoreInput]) -> DoubleScoring:
    """One scorer's complete, final set of scores. The second submission opens the reconciliation."""
    policy.check(by, "double_scoring.submit")
    version = version_locked(version)
    policy.check(by, "double_scoring.submit", version)
    double = DoubleScoring.objects.select_for_update().get(version_id=version.pk)
    if double.submitted_at(by.pk) is not None:
        raise TransitionNotAllowed("you have already submitted your scores for this version")
    sheet = _validated_sheet(version, scores)
    criteria = {key: criterion for key, criterion in _expected_keys(version).items()}
    RawScore.objects.bulk_create(
        RawScore(version=version, scorer=by, criterion=criteria[key], party_id=key[1], value=value)  # type: ignore[misc]
        for key, value in sheet.items()
    )
    now = timezone.now()
    if by.pk == double.first_scorer_id:
        double.first_submitted_at = now
    else:
        double.second_submitted_at = now
    double.save()
    _mark_contributor(version, by, "submitted independent scores")
    audit_record(
        action=AuditEntry.Action.DOUBLE_SUBMIT,
        actor=by,
        from_state=version.state,
        to_state=version.state,
        # Never the scores: the audit log is read on the desk while the other scorer is still at work.
        comment="both scorers have submitted" if double.both_submitted else "one of two scorers has submitted",
        evaluation_version=version,
    )
    if double.both_submitted:
        _open_reconciliation(double, version, by)
    return double


def raw_pairs(version: EvaluationVersion, double: DoubleScoring) -> dict[Key, tuple[int, int, RawScore]]:
    """(first, second, a raw row for its criterion and party) per key, for both scorers' sheets."""
    first: dict[Key, RawScore] = {}
    second: dict[Key, RawScore] = {}
    for raw in RawScore.objects.filter(version_id=version.pk).select_related("criterion"):
        target = first if raw.scorer_id == double.first_scorer_id else second
        target[(raw.criterion.key, raw.party_id)] = raw
    return {key: (row.value, second[key].value, row) for key, row in first.items() if key in second}


def _open_reconciliation(double: DoubleScoring, version: EvaluationVersion, by: User) -> None:
    Reconciliation.objects.bulk_create(
        Reconciliation(
            version=version, criterion=row.criterion, party_id=row.party_id, first_value=first, second_value=second
        )
        for first, second, row in raw_pairs(version, double).values()
        if abs(first - second) > 1
    )
    if not Reconciliation.objects.filter(version_id=version.pk, settled_at__isnull=True).exists():
        _settle_all(double, version, by)


@transaction.atomic
def double_scoring_settle(*, reconciliation: Reconciliation, by: User, value: int, note: str) -> Reconciliation:
    """Settle one difference with a value and a note saying why."""
    policy.check(by, "double_scoring.settle")
    version = version_locked(reconciliation.version)
    policy.check(by, "double_scoring.settle", version)
    double = DoubleScoring.objects.select_for_update().get(version_id=version.pk)
    reconciliation = (
        Reconciliation.objects.select_for_update(of=("self",))
        .select_related("criterion", "party__organization")
        .get(pk=reconciliation.pk)
    )
    _settle_one(double, version, reconciliation, by, value, note)
    return reconciliation


def _settle_one(
    double: DoubleScoring,
    version: EvaluationVersion,
    reconciliation: Reconciliation,
    by: User,
    value: int,
    note: str,
    *,
    revision: bool = True,
) -> None:
    if reconciliation.settled_at is not None:
        raise TransitionNotAllowed("this difference is already settled")
    rubric_version = version.evaluation.rubric_version
    note = clean_text_value("note", note).strip()
    errors: dict[str, list[str]] = {}
    if not isinstance(value, int) or isinstance(value, bool):
        errors["value"] = ["the score must be a whole number"]
    elif not rubric_version.scale_min <= value <= rubric_version.scale_max:
        errors["value"] = [f"the score must be between {rubric_version.scale_min} and {rubric_version.scale_max}"]
    if not note:
        errors["note"] = ["say why this value"]
    if errors:
        raise ValidationError(errors)
    reconciliation.value = value
    reconciliation.note = note
    reconciliation.settled_by = by
    reconciliation.settled_at = timezone.now()
    reconciliation.full_clean(exclude=["version", "criterion", "party", "settled_by"])
    reconciliation.save()
    party = f" for {reconciliation.party.organization.name}" if reconciliation.party else " for the deal"
    audit_record(
        action=AuditEntry.Action.SETTLE,
        actor=by,
        from_state=version.state,
        to_state=version.state,
        comment=(
            f"{reconciliation.criterion.key}{party}: {reconciliation.first_value} and "
            f"{reconciliation.second_value} settled at {value}"
        ),
        evaluation_version=version,
    )
    if not Reconciliation.objects.filter(version_id=version.pk, settled_at__isnull=True).exists():
        _settle_all(double, version, by, revision=revision)


@dataclass(frozen=True)
class SettlementInput:
    criterion: str
    party_id: int | None
    value: int
    note: str


@transaction.atomic
def double_scoring_import(
    *,
    version: EvaluationVersion,
    by: User,
    first_scorer: User,
    second_scorer: User,
    first_scores: Iterable[RawScoreInput],
    second_scores: Iterable[RawScoreInput],
    settlements: Iterable[SettlementInput],
) -> DoubleScoring:
    """A double scoring done elsewhere, recorded whole (the demo loader's, before it publishes
    the version it wrote): the same sheets' checks, reconciliation and settlement as the desk's,
    signed by ``by`` (the importer: no one's permission is asked, as for the rest of an import)."""
    version = version_locked(version)
    double = DoubleScoring.objects.create(
        version=version,
        first_scorer=first_scorer,
        second_scorer=second_scorer,
        requested_by=by,
        requested_at=timezone.now(),
    )
    for scorer, scores in ((first_scorer, first_scores), (second_scorer, second_scores)):
        sheet = _validated_sheet(version, scores)
        criteria = _expected_keys(version)
        RawScore.objects.bulk_create(
            RawScore(version=version, scorer=scorer, criterion=criteria[key], party_id=key[1], value=value)  # type: ignore[misc]
            for key, value in sheet.items()
        )
    double.first_submitted_at = double.second_submitted_at = timezone.now()
    double.save()
    Reconciliation.objects.bulk_create(
        Reconciliation(
            version=version, criterion=row.criterion, party_id=row.party_id, first_value=first, second_value=second
        )
        for first, second, row in raw_pairs(version, double).values()
        if abs(first - second) > 1
    )
    open_ones = {
        (r.criterion.key, r.party_id): r
        for r in Reconciliation.objects.filter(version_id=version.pk).select_related("criterion", "party__organization")
    }
    for item in settlements:
        reconciliation = open_ones.get((item.criterion, item.party_id))
        if reconciliation is None:
            raise ValidationError({"settlements": [f"no difference to settle for {item.criterion}"]})
        _settle_one(double, version, reconciliation, by, item.value, item.note, revision=False)
    if double.settled_at is None and not open_ones:
        _settle_all(double, version, by, revision=False)
    double.refresh_from_db()
    if double.settled_at is None:
        raise ValidationError({"settlements": ["every difference of more than one point needs a settlement"]})
    return double


def settled_value(first: int, second: int, reconciliation: Reconciliation | None) -> int | None:
    """The score a pair settles on: its reconciliation's, or within a point the higher of the two."""
    if reconciliation is not None:
        return reconciliation.value
    return max(first, second)


def _settle_all(double: DoubleScoring, version: EvaluationVersion, by: User, *, revision: bool = True) -> None:
    """Write the settled values as the version's scores (keeping rationale, sources and quotes).
    ``revision``: keep the save as a revision (an import, which keeps none, says no)."""
    settled = {(r.criterion.key, r.party_id): r for r in Reconciliation.objects.filter(version_id=version.pk)}
    existing = {
        (s.criterion.key, s.party_id): s
        for s in Score.objects.filter(version_id=version.pk).select_related("criterion")
    }
    to_update, to_create = [], []
    for key, (first, second, row) in raw_pairs(version, double).items():
        value = settled_value(first, second, settled.get(key))
        assert value is not None  # every reconciliation is settled by now
        score = existing.get(key)
        if score is None:
            to_create.append(Score(version=version, criterion=row.criterion, party_id=row.party_id, value=value))
        elif score.value != value:
            score.value = value
            to_update.append(score)
    Score.objects.bulk_update(to_update, ["value"])
    Score.objects.bulk_create(to_create)
    double.settled_at = timezone.now()
    double.save(update_fields=["settled_at"])
    version.lock_version += 1
    version.save()
    if not revision:
        return
    revision_record(
        version=version, by=by, action=AuditEntry.Action.SAVE, what="scores settled from the independent double scoring"
    )


def double_scoring_guard(version: EvaluationVersion, scores: list[tuple[Score, tuple[int, ...], list]]) -> None:
    """Called by the draft's save before it replaces the scores: a double-scored version's
    scores do not change before the settlement, and their values not after it."""
    double = _double_of(version)
    if double is None:
        return
    current = list(Score.objects.filter(version_id=version.pk).select_related("criterion"))
    if double.settled_at is None:
        before = {(s.criterion.key, s.party_id, s.value, s.rationale) for s in current}
        after = {(s.criterion.key, s.party_id, s.value, s.rationale) for s, _, _ in scores}
        if before != after:
            raise TransitionNotAllowed(NOT_YET)
        return
    if {(s.criterion.key, s.party_id, s.value) for s in current} != {
        (s.criterion.key, s.party_id, s.value) for s, _, _ in scores
    }:
        raise TransitionNotAllowed(FIXED)


def double_scoring_submit_guard(version: EvaluationVersion) -> None:
    """A double-scored version goes to review only once its differences are settled."""
    double = _double_of(version)
    if double is not None and double.settled_at is None:
        raise TransitionNotAllowed(NOT_YET)


def reconciliation_for(pk: int) -> Reconciliation:
    """A reconciliation by id, or Reconciliation.DoesNotExist."""
    return Reconciliation.objects.select_related("version").get(pk=pk)
