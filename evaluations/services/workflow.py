"""Writing and review: start a draft, save it, submit, send back, approve."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cases.models import Case
from core.errors import EditConflict, TransitionNotAllowed
from core.text import clean_text_value, text_errors
from evaluations import anchoring, policy
from evaluations.models import Annotation, AuditEntry, Evaluation, EvaluationVersion, RubricVersion, Score
from evaluations.services.annotations import AnnotationInput, annotations_reanchor, annotations_validated
from evaluations.services.audit import audit_record
from evaluations.services.double_scoring import double_scoring_guard, double_scoring_submit_guard
from evaluations.services.evidence import CitationInput, citations_carry_over, citations_validated, citations_write
from evaluations.services.facts import (
    version_facts_prune,
    version_facts_start,
    version_facts_validated,
    version_party_ids,
)
from evaluations.services.publishing import evaluation_version_publish
from evaluations.services.revisions import revision_record
from evaluations.services.scheduling import publish_at_checked
from evaluations.services.transitions import version_locked, version_transition


@dataclass(frozen=True)
class ScoreInput:
    """One score as an edge (form, API) hands it to the service."""

    criterion: str  # criterion key
    party_id: int | None  # None for a per-deal criterion
    value: int
    rationale: str = ""
    source_ids: tuple[int, ...] = ()
    citations: tuple[CitationInput, ...] = ()  # quoted passages of its sources (evaluations.services.evidence)


def rubric_version_for_new_work(case: Case) -> RubricVersion:
    """The active version of the case's rubric (or of the only rubric there is)."""
    rubric_id = (
        Evaluation.objects.filter(case=case).values_list("rubric_version__rubric_id", flat=True).order_by("-pk").first()
    )
    versions = RubricVersion.objects.filter(status=RubricVersion.Status.ACTIVE)
    if rubric_id is not None:
        versions = versions.filter(rubric_id=rubric_id)
    version = versions.order_by("rubric_id").first()
    if version is None:
        raise TransitionNotAllowed("there is no active rubric version to evaluate under")
    return version


@transaction.atomic
def evaluation_version_start(*, case: Case, by: User) -> EvaluationVersion:
    """Start a draft under the active rubric, prefilled from the published version.

    Scores carry over by criterion key; annotations carry over and are flagged
    orphaned when their quote no longer matches.
    """
    policy.check(by, "version.start")
    case = Case.objects.select_for_update().get(pk=case.pk)
    open_version = EvaluationVersion.objects.filter(
        case=case,
        state__in=EvaluationVersion.OPEN_STATES,
    ).first()
    if open_version is not None:
        raise TransitionNotAllowed(
            f"version {open_version.number} of this case is already {open_version.get_state_display()}; "
            "work on it instead"
        )
    rubric_version = rubric_version_for_new_work(case)
    evaluation, _ = Evaluation.objects.get_or_create(case=case, rubric_version=rubric_version)
    previous = EvaluationVersion.objects.filter(case=case, state=EvaluationVersion.State.PUBLISHED).first()
    number = (EvaluationVersion.objects.filter(case=case).aggregate(n=Max("number"))["n"] or 0) + 1
    version = EvaluationVersion.objects.create(
        evaluation=evaluation,
        case=case,
        number=number,
        author=by,
        based_on=previous,
        narrative=previous.narrative if previous else "",
        verdict=previous.verdict if previous else "",
        facts=version_facts_start(case),  # facts: the case's as published, edited in the draft
    )
    if previous is not None:
        _carry_over(previous, version, rubric_version)
    audit_record(
        action=AuditEntry.Action.CREATE, actor=by, from_state="", to_state=version.state, evaluation_version=version
    )
    # Revision 1: the draft as started (its author is its first contributor).
    revision_record(
        version=version, by=by, action=None, what=f"started from version {previous.number}" if previous else "started"
    )
    return version


def _carry_over(previous: EvaluationVersion, version: EvaluationVersion, rubric_version: RubricVersion) -> None:
    criteria = {c.key: c for c in rubric_version.criteria.all()}
    old_scores = list(previous.scores.select_related("criterion").prefetch_related("sources", "citations__source"))
    new_scores = [
        Score(
            version=version,
            criterion=criteria[score.criterion.key],
            party_id=score.party_id if criteria[score.criterion.key].per_party else None,
            value=score.value,
            rationale=score.rationale,
        )
        for score in old_scores
        if score.criterion.key in criteria
        and rubric_version.scale_min <= score.value <= rubric_version.scale_max
        and (score.party_id is not None) == criteria[score.criterion.key].per_party
    ]
    Score.objects.bulk_create(new_scores)
    by_key = {(s.criterion.key, s.party_id): s for s in old_scores}
    Score.sources.through.objects.bulk_create(
        [
            Score.sources.through(score_id=new.pk, source_id=source.pk)
            for new in new_scores
            for source in by_key[(new.criterion.key, new.party_id)].sources.all()
        ]
    )
    citations_carry_over((by_key[(new.criterion.key, new.party_id)], new) for new in new_scores)
    Annotation.objects.bulk_create(
        [
            Annotation(
                version=version,
                quote=note.quote,
                prefix=note.prefix,
                suffix=note.suffix,
                kind=note.kind,
                body=note.body,
                author_id=note.author_id,
                orphaned=anchoring.locate(version.narrative, note.quote, note.prefix, note.suffix) is None,
            )
            for note in previous.annotations.all()
        ]
    )


def _validated_scores(
    version: EvaluationVersion, scores: Iterable[ScoreInput]
) -> list[tuple[Score, tuple[int, ...], list]]:
    rubric_version = version.evaluation.rubric_version
    criteria = {c.key: c for c in rubric_version.criteria.all()}
    party_ids = version_party_ids(version)  # facts: parties the draft's facts keep
    excerpts = dict(version.case.sources.values_list("pk", "excerpt"))
    source_ids = set(excerpts)
    errors: dict[str, list[str]] = {}
    seen: set[tuple[str, int | None]] = set()
    result = []
    for index, item in enumerate(scores):
        field_name = f"scores[{index}]"
        criterion = criteria.get(item.criterion)
        problems = []
        if criterion is None:
            problems.append(f"unknown criterion {item.criterion!r} for rubric version {rubric_version.number}")
        elif criterion.per_party and item.party_id is None:
            problems.append(f"criterion {item.criterion!r} is scored per party: name the party")
        elif not criterion.per_party and item.party_id is not None:
            problems.append(f"criterion {item.criterion!r} is scored once for the deal: give no party")
        if item.party_id is not None and item.party_id not in party_ids:
            problems.append("that organization is not a party to this case")
        if not isinstance(item.value, int) or isinstance(item.value, bool):
            problems.append("the score must be a whole number")
        elif not rubric_version.scale_min <= item.value <= rubric_version.scale_max:
            problems.append(f"the score must be between {rubric_version.scale_min} and {rubric_version.scale_max}")
        if (item.criterion, item.party_id) in seen:
            problems.append("this criterion is scored twice for the same party")
        if set(item.source_ids) - source_ids:
            problems.append("a source given is not one of this case's sources")
        citations, citation_problems = citations_validated(excerpts, item.citations)
        problems += citation_problems
        seen.add((item.criterion, item.party_id))
        if problems:
            errors[field_name] = problems
            continue
        score = Score(
            version=version, criterion=criterion, party_id=item.party_id, value=item.value, rationale=item.rationale
        )
        too_long = text_errors(score)
        if too_long:
            errors[field_name] = [f"{name}: {message}" for name, messages in too_long.items() for message in messages]
            continue
        # A quoted source is a source the score rests on: it joins the score's sources.
        cited = tuple(dict.fromkeys((*item.source_ids, *(c.source_id for c in citations))))
        result.append((score, cited, citations))
    if errors:
        raise ValidationError(errors)
    return result


@transaction.atomic
def evaluation_version_save(
    *,
    version: EvaluationVersion,
    by: User,
    expected_lock: int,
    narrative: str | None = None,
    verdict: str | None = None,
    change_note: str | None = None,
    scores: Iterable[ScoreInput] | None = None,
    annotations: Iterable[AnnotationInput] | None = None,
    facts: dict | None = None,
    restored_from: int | None = None,
) -> EvaluationVersion:
    """Save a draft. Fields left as None keep their value; a list given replaces the list held.
    ``facts`` (of a published case) is merged field by field over the draft's facts.

    Optimistic locking: ``expected_lock`` is the ``lock_version`` the editor
    loaded. If someone saved since, EditConflict is raised and nothing is
    written. Bad scores or annotations raise ValidationError, nothing written.
    Each save that changes the content is kept as a revision, and every save is
    audited (``restored_from``: the revision evaluation_version_restore puts back).
    """
    policy.check(by, "version.edit")
    current = version_locked(version)
    policy.check_state("version.edit", current)
    if current.lock_version != expected_lock:
        raise EditConflict(current)
    if narrative is not None:
        current.narrative = narrative
    if verdict is not None:
        current.verdict = verdict
    if change_note is not None:
        current.change_note = change_note
    if facts is not None:  # facts: checked by the case services' rules before anything is written
        current.facts = version_facts_validated(current, facts)
    validated_scores = _validated_scores(current, scores) if scores is not None else None
    if validated_scores is not None:
        double_scoring_guard(current, validated_scores)
    validated_notes = annotations_validated(current.narrative, annotations) if annotations is not None else None
    errors = text_errors(current)
    try:
        current.full_clean(
            exclude=["evaluation", "case", "author", "based_on", "published_by"], validate_constraints=False
        )
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}
    if errors:
        raise ValidationError(errors)
    current.lock_version += 1
    current.save()
    if validated_scores is not None:
        current.scores.all().delete()
        Score.objects.bulk_create([score for score, _, _ in validated_scores])
        Score.sources.through.objects.bulk_create(
            [
                Score.sources.through(score_id=score.pk, source_id=source_id)
                for score, source_ids, _ in validated_scores
                for source_id in source_ids
            ]
        )
        citations_write((score, citations) for score, _, citations in validated_scores)
    if validated_notes is not None:
        current.annotations.all().delete()
        for note in validated_notes:
            note.version = current
            if note.author_id is None:  # a restored note keeps its author
                note.author = by
        Annotation.objects.bulk_create(validated_notes)
    elif narrative is not None:
        annotations_reanchor(current)
    if facts is not None:
        version_facts_prune(current)
    revision_record(
        version=current,
        by=by,
        action=AuditEntry.Action.SAVE if restored_from is None else AuditEntry.Action.RESTORE,
        restored_from=restored_from,
        what=f"restored revision {restored_from}" if restored_from is not None else "",
    )
    return current


@transaction.atomic
def evaluation_version_submit(*, version: EvaluationVersion, by: User, comment: str = "") -> EvaluationVersion:
    policy.check(by, "version.submit")
    version = version_locked(version)
    policy.check_state("version.submit", version)
    double_scoring_submit_guard(version)
    if not version.scores.exists():
        raise ValidationError({"scores": ["score at least one criterion before submitting"]})
    return version_transition(
        version,
        to=EvaluationVersion.State.IN_REVIEW,
        action=AuditEntry.Action.SUBMIT,
        by=by,
        comment=comment,
        submitted_at=timezone.now(),
    )


@transaction.atomic
def evaluation_version_send_back(*, version: EvaluationVersion, by: User, comment: str) -> EvaluationVersion:
    policy.check(by, "version.send_back")
    if not comment.strip():
        raise ValidationError({"comment": ["say what needs to change"]})
    version = version_locked(version)
    policy.check_state("version.send_back", version)
    return version_transition(
        version,
        to=EvaluationVersion.State.DRAFT,
        action=AuditEntry.Action.SEND_BACK,
        by=by,
        comment=comment,
        publish_at=None,
        published_by=None,
    )


@transaction.atomic
def evaluation_version_approve(
    *,
    version: EvaluationVersion,
    by: User,
    publish_at: datetime | None = None,
    correction_note: str = "",
) -> EvaluationVersion:
    """A reviewer approves a version: published now, or scheduled for ``publish_at`` (a time to come).

    A reviewer cannot approve a version they wrote. A correction note is only
    for a version that replaces an already published analysis.
    """
    policy.check(by, "version.approve")
    correction_note = clean_text_value("correction_note", correction_note)
    version = version_locked(version)
    policy.check(by, "version.approve", version)  # the four-eyes rule, then the state
    if publish_at is not None:  # a time in the past is refused, never taken as "now" (scheduling.py)
        publish_at = publish_at_checked(publish_at)
    has_published = EvaluationVersion.objects.filter(
        case_id=version.case_id, state=EvaluationVersion.State.PUBLISHED
    ).exists()
    if correction_note.strip() and not has_published:
        raise ValidationError({"correction_note": ["a first publication corrects nothing; leave the note empty"]})
    if publish_at is not None:
        return version_transition(
            version,
            to=EvaluationVersion.State.SCHEDULED,
            action=AuditEntry.Action.SCHEDULE,
            by=by,
            comment=f"to publish at {publish_at.isoformat()}",
            publish_at=publish_at,
            published_by=by,
            correction_note=correction_note.strip(),
        )
    return evaluation_version_publish(version=version, by=by, correction_note=correction_note.strip())
