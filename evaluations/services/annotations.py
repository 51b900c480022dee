"""Annotations on a version's narrative: validated against it, re-anchored when it changes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from core.errors import field_error
from core.text import text_errors, text_input_normalize, text_normalize
from evaluations import anchoring, policy
from evaluations.models import Annotation, AuditEntry, EvaluationVersion
from evaluations.services.revisions import revision_record
from evaluations.services.transitions import version_locked


@dataclass(frozen=True)
class AnnotationInput:
    quote: str
    kind: str
    body: str
    prefix: str | None = None  # None: taken from the narrative around the quote
    suffix: str | None = None
    # A note put back from a kept revision (evaluation_version_restore): it keeps its author,
    # and comes back orphaned if its quote is not in the restored text, as it was then.
    author_id: int | None = None
    restored: bool = False


_AMBIGUOUS = (
    "the quote occurs {count} times in the narrative and the words given before or after it fit {left} of "
    "them: give more of the text just before (prefix) or after (suffix) it, or quote a longer passage"
)
_AMBIGUOUS_NONE = (
    "the quote occurs {count} times in the narrative, but none has exactly the words given before (prefix) "
    "and after (suffix) it: copy them from the text, or leave them empty"
)


def annotations_validated(narrative: str, items: Iterable[AnnotationInput]) -> list[Annotation]:
    errors: dict[str, list[ValidationError]] = {}
    result = []
    kinds = set(Annotation.Kind.values)
    narrative = text_normalize(narrative)  # as the save normalizes it
    for index, item in enumerate(items):
        item = text_input_normalize(item)
        problems = []
        start = None
        if not item.quote.strip():
            problems.append(field_error("the quote is empty", "quote"))
        elif item.quote not in narrative and not item.restored:
            problems.append(field_error("the quote does not appear in the narrative", "quote"))
        elif not item.restored:
            # A quote found more than once is never silently anchored to its first occurrence.
            candidates = anchoring.matching(narrative, item.quote, item.prefix or "", item.suffix or "")
            count = len(anchoring.occurrences(narrative, item.quote))
            if len(candidates) == 1:
                start = candidates[0]
            elif not candidates:
                problems.append(field_error(_AMBIGUOUS_NONE.format(count=count), "quote"))
            else:
                problems.append(field_error(_AMBIGUOUS.format(count=count, left=len(candidates)), "quote"))
        if item.kind not in kinds:
            problems.append(field_error(f"kind must be one of {', '.join(sorted(kinds))}", "kind"))
        if not item.body.strip():
            problems.append(field_error("the note is empty", "body"))
        too_long = text_errors(Annotation(quote=item.quote, body=item.body))
        problems += [
            field_error(f"{name}: {message}", name) for name, messages in too_long.items() for message in messages
        ]
        if problems:
            errors[f"annotations[{index}]"] = problems
            continue
        if start is None:  # a restored note: anchored as it was
            prefix, suffix = anchoring.context_for(narrative, item.quote)
        else:
            prefix, suffix = anchoring.context_at(narrative, start, start + len(item.quote))
        # The context kept is the part next to the quote: the end of the prefix, the start of the suffix.
        prefix = prefix if item.prefix is None else item.prefix[-anchoring.CONTEXT * 2 :]
        suffix = suffix if item.suffix is None else item.suffix[: anchoring.CONTEXT * 2]
        note = Annotation(
            quote=item.quote,
            prefix=prefix,
            suffix=suffix,
            kind=item.kind,
            body=item.body,
            orphaned=anchoring.locate(narrative, item.quote, prefix, suffix) is None,
        )
        if item.author_id is not None:
            note.author_id = item.author_id
        result.append(note)
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
    revision_record(
        version=version, by=by, action=AuditEntry.Action.NOTE_ADD, what=f"margin note added: {_quoted(note)}"
    )
    return note


@transaction.atomic
def annotation_delete(*, annotation: Annotation, by: User) -> None:
    policy.check(by, "annotation.delete")
    version = version_locked(annotation.version)
    policy.check_state("annotation.delete", version)
    annotation.delete()
    revision_record(
        version=version, by=by, action=AuditEntry.Action.NOTE_REMOVE, what=f"margin note removed: {_quoted(annotation)}"
    )


def _quoted(note: Annotation) -> str:
    quote = note.quote if len(note.quote) <= 60 else note.quote[:59] + "…"
    return f"{note.get_kind_display()} on “{quote}”"
