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
from core.errors import EditConflict, TransitionNotAllowed, field_error
from core.text import clean_text_value, text_errors
from evaluations import anchoring, policy, selectors
from evaluations.checklist import APPROVE, SUBMIT, checklist_enforce
from evaluations.models import (
    Annotation,
    AuditEntry,
    Evaluation,
    EvaluationVersion,
    Notification,
    RubricVersion,
    Score,
)
from evaluations.selectors import versions_with_content
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
from evaluations.services.notifications import version_notify
from evaluations.services.publishing import evaluation_version_publish
from evaluations.services.revisions import revision_record
from evaluations.services.scheduling import publish_at_checked
from evaluations.services.transitions import version_locked, version_transition


@dataclass(frozen=True)
class ScoreInput:
    """One score as an edge (form, API) hands it to the service."""

    criterion: str  # criterion key
    party_id: int | None  # None for a per-deal criterion
    value: int | None  # None: the rationale is parked, not yet scored (drafts only)
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
    """Prefill the new draft from ``previous``: its scores carried (``scores_carry``) and its margin notes."""
    scores_carry(
        scores=list(previous.scores.select_related("criterion").prefetch_related("sources", "citations__source")),
        scored_under=RubricVersion.objects.get(pk=previous.evaluation.rubric_version_id),
        version=version,
        rubric_version=rubric_version,
    )
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


def scores_carry(
    *, scores: list[Score], scored_under: RubricVersion, version: EvaluationVersion, rubric_version: RubricVersion
) -> set[tuple[str, int | None]]:
    """Write into ``version`` the ``scores`` given under ``scored_under``, carried to
    ``rubric_version`` through the rubric's crosswalks (evaluations.crosswalk: by key where a
    version has none), each with the rationale, sources and quotes of the scores it came from.
    The one carrying rule of a new draft and of a draft moved onto the active version; returns
    the (criterion key, party id) of the scores that carried."""
    criteria = {c.key: c for c in rubric_version.criteria.all()}
    by_key = {(s.criterion.key, s.party_id): s for s in scores}
    buckets: dict[int | None, dict[str, int]] = {}
    for score in scores:
        buckets.setdefault(score.party_id, {})[score.criterion.key] = score.value
    carrier = selectors.ScoreCarrier(selectors.rubric_versions_for_carrying([rubric_version.rubric_id], draft=None))
    new_scores: list[Score] = []
    origins: dict[int, list[Score]] = {}
    for party_id, values in buckets.items():
        if scored_under.rubric_id != rubric_version.rubric_id:
            break  # another rubric: nothing carries
        outcome = carrier.carry(
            rubric_version.rubric_id, scored_under.number, rubric_version.number, values, per_party=party_id is not None
        )
        for key, value in outcome.values.items():
            sources = [by_key[(old_key, party_id)] for old_key in outcome.how[key][2] if (old_key, party_id) in by_key]
            rationale = "\n\n".join(dict.fromkeys(s.rationale for s in sources if s.rationale))
            score = Score(version=version, criterion=criteria[key], party_id=party_id, value=value, rationale=rationale)
            new_scores.append(score)
            origins[id(score)] = sources
    Score.objects.bulk_create(new_scores)
    Score.sources.through.objects.bulk_create(
        [
            Score.sources.through(score_id=new.pk, source_id=source_id)
            for new in new_scores
            for source_id in dict.fromkeys(source.pk for old in origins[id(new)] for source in old.sources.all())
        ]
    )
    citations_carry_over((old, new) for new in new_scores for old in origins[id(new)])
    return {(old.criterion.key, old.party_id) for new in new_scores for old in origins[id(new)]}


@dataclass(frozen=True)
class ValidatedScores:
    """Scores ready to write (each with its source ids and citations), and the rationales parked without one."""

    scores: list[tuple[Score, tuple[int, ...], list]]
    parked: list[dict]


def _validated_scores(version: EvaluationVersion, scores: Iterable[ScoreInput]) -> ValidatedScores:
    """Check every score given; each problem names the field of the item it is about (core.errors.field_error).

    An item without a value parks its rationale: allowed while drafting (submission refuses a draft
    that still holds one), never with sources or quotes, which a score rests on.
    """
    rubric_version = version.evaluation.rubric_version
    criteria = {c.key: c for c in rubric_version.criteria.all()}
    party_ids = version_party_ids(version)  # facts: parties the draft's facts keep
    excerpts = dict(version.case.sources.values_list("pk", "excerpt"))
    source_ids = set(excerpts)
    errors: dict[str, list[ValidationError]] = {}
    seen: set[tuple[str, int | None]] = set()
    result = []
    parked = []
    for index, item in enumerate(scores):
        field_name = f"scores[{index}]"
        criterion = criteria.get(item.criterion)
        problems = []
        if criterion is None:
            problems.append(
                field_error(
                    f"unknown criterion {item.criterion!r} for rubric version {rubric_version.number}", "criterion"
                )
            )
        elif criterion.per_party and item.party_id is None:
            problems.append(
                field_error(f"criterion {item.criterion!r} is scored per party: name the party", "organization")
            )
        elif not criterion.per_party and item.party_id is not None:
            problems.append(
                field_error(f"criterion {item.criterion!r} is scored once for the deal: give no party", "organization")
            )
        if item.party_id is not None and item.party_id not in party_ids:
            problems.append(field_error("that organization is not a party to this case", "organization"))
        if item.value is None:
            if not item.rationale.strip():
                problems.append(field_error("give a score, or a rationale to park until you score it", "value"))
            if item.source_ids or item.citations:
                problems.append(field_error("a score rests on its sources and quotes: give the score too", "value"))
        elif not isinstance(item.value, int) or isinstance(item.value, bool):
            problems.append(field_error("the score must be a whole number", "value"))
        elif not rubric_version.scale_min <= item.value <= rubric_version.scale_max:
            problems.append(
                field_error(
                    f"the score must be between {rubric_version.scale_min} and {rubric_version.scale_max}", "value"
                )
            )
        if (item.criterion, item.party_id) in seen:
            problems.append(field_error("this criterion is scored twice for the same party", "criterion"))
        if set(item.source_ids) - source_ids:
            problems.append(field_error("a source given is not one of this case's sources", "sources"))
        citations, citation_problems = citations_validated(excerpts, item.citations)
        problems += [field_error(message, "citations") for message in citation_problems]
        seen.add((item.criterion, item.party_id))
        if problems:
            errors[field_name] = problems
            continue
        score = Score(
            version=version,
            criterion=criterion,
            party_id=item.party_id,
            value=item.value if item.value is not None else 0,
            rationale=item.rationale,
        )
        too_long = text_errors(score)
        if too_long:
            errors[field_name] = [
                field_error(f"{name}: {message}", name) for name, messages in too_long.items() for message in messages
            ]
            continue
        if item.value is None:
            parked.append({"criterion": item.criterion, "party": item.party_id, "rationale": score.rationale})
            continue
        # A quoted source is a source the score rests on: it joins the score's sources.
        cited = tuple(dict.fromkeys((*item.source_ids, *(c.source_id for c in citations))))
        result.append((score, cited, citations))
    if errors:
        raise ValidationError(errors)
    return ValidatedScores(result, parked)


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
        double_scoring_guard(current, validated_scores.scores)
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
    if validated_scores is not None:
        current.parked_rationales = validated_scores.parked
    current.lock_version += 1
    current.save()
    if validated_scores is not None:
        current.scores.all().delete()
        Score.objects.bulk_create([score for score, _, _ in validated_scores.scores])
        Score.sources.through.objects.bulk_create(
            [
                Score.sources.through(score_id=score.pk, source_id=source_id)
                for score, source_ids, _ in validated_scores.scores
                for source_id in source_ids
            ]
        )
        citations_write((score, citations) for score, _, citations in validated_scores.scores)
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
    checklist_enforce(versions_with_content(EvaluationVersion.objects.filter(pk=version.pk)).get(), SUBMIT)
    version = version_transition(
        version,
        to=EvaluationVersion.State.IN_REVIEW,
        action=AuditEntry.Action.SUBMIT,
        by=by,
        comment=comment,
        submitted_at=timezone.now(),
    )
    version_notify(kind=Notification.Kind.SUBMIT, version=version, actor=by, text=comment)
    return version


@transaction.atomic
def evaluation_version_send_back(*, version: EvaluationVersion, by: User, comment: str) -> EvaluationVersion:
    policy.check(by, "version.send_back")
    if not comment.strip():
        raise ValidationError({"comment": ["say what needs to change"]})
    version = version_locked(version)
    policy.check_state("version.send_back", version)
    version = version_transition(
        version,
        to=EvaluationVersion.State.DRAFT,
        action=AuditEntry.Action.SEND_BACK,
        by=by,
        comment=comment,
        publish_at=None,
        published_by=None,
    )
    version_notify(kind=Notification.Kind.SEND_BACK, version=version, actor=by, text=comment)
    return version


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
    checklist_enforce(versions_with_content(EvaluationVersion.objects.filter(pk=version.pk)).get(), APPROVE)
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
