"""Annotations on a version's narrative: validated against it, re-anchored when it changes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from core.text import text_errors, text_input_normalize, text_normalize
from evaluations import anchoring, policy
from evaluations.models import Annotation, EvaluationVersion
from evaluations.services.transitions import version_locked


@dataclass(frozen=True)
class AnnotationInput:
    quote: str
    kind: str
    body: str
    prefix: str | None = None  # None: taken from the narrative around the quote
    suffix: str | None = None


def annotations_validated(narrative: str, items: Iterable[AnnotationInput]) -> list[Annotation]:
    errors: dict[str, list[str]] = {}
    result = []
    kinds = set(Annotation.Kind.values)
    narrative = text_normalize(narrative)  # as the save normalizes it
    for index, item in enumerate(items):
        item = text_input_normalize(item)
        problems = []
        if not item.quote.strip():
            problems.append("the quote is empty")
        elif item.quote not in narrative:
            problems.append("the quote does not appear in the narrative")
        if item.kind not in kinds:
            problems.append(f"kind must be one of {', '.join(sorted(kinds))}")
        if not item.body.strip():
            problems.append("the note is empty")
        too_long = text_errors(Annotation(quote=item.quote, body=item.body))
        problems += [f"{name}: {message}" for name, messages in too_long.items() for message in messages]
        if problems:
            errors[f"annotations[{index}]"] = problems
            continue
        prefix, suffix = anchoring.context_for(narrative, item.quote)
        result.append(
            Annotation(
                quote=item.quote,
                prefix=prefix if item.prefix is None else item.prefix[: anchoring.CONTEXT * 2],
                suffix=suffix if item.suffix is None else item.suffix[: anchoring.CONTEXT * 2],
                kind=item.kind,
                body=item.body,
            )
        )
    if errors:
        raise ValidationError(errors)
    return result


def annotations_reanchor(version: EvaluationVersion) -> None:
    """Flag the version's annotations whose quote no longer matches the narrative."""
    for note in version.annotations.all():
        orphaned = anchoring.locate(version.narrative, note.quote, note.prefix, note.suffix) is None
        if orphaned != note.orphaned:
            note.orphaned = orphaned
            note.save(update_fields=["orphaned"])


@transaction.atomic
def annotation_add(*, version: EvaluationVersion, by: User, item: AnnotationInput) -> Annotation:
    policy.check(by, "annotation.add")
    version = version_locked(version)
    policy.check_state("annotation.add", version)
    (note,) = annotations_validated(version.narrative, [item])
    note.version = version
    note.author = by
    note.save()
    return note


@transaction.atomic
def annotation_delete(*, annotation: Annotation, by: User) -> None:
    policy.check(by, "annotation.delete")
    version = version_locked(annotation.version)
    policy.check_state("annotation.delete", version)
    annotation.delete()
