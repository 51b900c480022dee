"""Revisions: every save of a version's content kept, with who saved it and when.

``revision_content`` is the one statement of what a version's content is (what
a save can change, what a revision keeps, what a restore puts back, what makes
someone a contributor). Add a field there and every revision, compare and
restore carries it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from evaluations.models import Annotation, Citation, EvaluationVersion, Revision, Score
from evaluations.services.audit import audit_record

Content = dict[str, Any]


def revision_content(version: EvaluationVersion) -> Content:
    """What a revision keeps of ``version`` as the database now holds it (call after a save wrote).

    Scores keep their criterion key, party (id, organization slug and name), value, rationale
    and source ids; margin notes keep their anchor, kind, body and author (whether a note is
    orphaned follows from the narrative, and is worked out again on restore).
    """
    scores = (
        Score.objects.filter(version_id=version.pk)
        .select_related("criterion", "party__organization")
        .order_by("criterion__position", "party__position", "id")
    )
    sources: dict[int, list[int]] = {}
    for score_id, source_id in (
        Score.sources.through.objects.filter(score__version_id=version.pk)
        .order_by("source_id")
        .values_list("score_id", "source_id")
    ):
        sources.setdefault(score_id, []).append(source_id)
    citations: dict[int, list[dict]] = {}
    for score_id, source_id, quote, prefix, suffix in (
        Citation.objects.filter(score__version_id=version.pk)
        .order_by("score_id", "position", "id")
        .values_list("score_id", "source_id", "quote", "prefix", "suffix")
    ):
        citations.setdefault(score_id, []).append(
            {"source": source_id, "quote": quote, "prefix": prefix, "suffix": suffix}
        )
    notes = Annotation.objects.filter(version_id=version.pk).order_by("id")
    return {
        "narrative": version.narrative,
        "verdict": version.verdict,
        "change_note": version.change_note,
        "facts": version.facts,  # a published case's facts as this version will publish them ({} before)
        "scores": [
            {
                "criterion": score.criterion.key,
                "party": score.party_id,
                "organization": score.party.organization.slug if score.party is not None else None,
                "organization_name": score.party.organization.name if score.party is not None else None,
                "value": score.value,
                "rationale": score.rationale,
                "sources": sources.get(score.pk, []),
                "citations": citations.get(score.pk, []),
            }
            for score in scores
        ],
        "annotations": [
            {
                "quote": note.quote,
                "prefix": note.prefix,
                "suffix": note.suffix,
                "kind": note.kind,
                "body": note.body,
                "author": note.author_id,
            }
            for note in notes
        ],
        # Rationales parked without a score, only where there are some (revisions kept before had none).
        **({"parked_rationales": version.parked_rationales} if version.parked_rationales else {}),
    }


# Each part of the content, as the revision's summary of a change names it.
PARTS = {
    "narrative": "narrative",
    "verdict": "verdict",
    "change_note": "change note",
    "scores": "scores",
    "annotations": "margin notes",
    "facts": "facts",
}


def content_changes(before: Content | None, after: Content) -> list[str]:
    """The parts of the content that differ, in words (none for a first revision)."""
    if before is None:
        return []
    keys = list(PARTS) + sorted((after.keys() | before.keys()) - PARTS.keys())
    return [PARTS.get(key, key.replace("_", " ")) for key in keys if before.get(key) != after.get(key)]


def revision_record(
    *,
    version: EvaluationVersion,
    by: User,
    action: str | None,
    restored_from: int | None = None,
    what: str = "",
) -> Revision | None:
    """Keep what ``version`` holds now as its next revision, saved by ``by``, and audit the save.

    Called inside the saving service's transaction, after it wrote. A save that changed
    nothing makes no revision (the audit entry says so). ``action`` is the audit entry's
    (None: the caller records its own, as starting a draft does).
    """
    content = revision_content(version)
    previous = Revision.objects.filter(version_id=version.pk).order_by("-number").first()
    changes = content_changes(previous.content if previous is not None else None, content)
    revision = None
    if previous is None or changes:
        what = what or ", ".join(changes)
        revision = Revision.objects.create(
            version=version,
            number=previous.number + 1 if previous is not None else 1,
            saved_by=by,
            saved_at=timezone.now(),
            what=what[:300],
            restored_from=restored_from,
            content=content,
        )
    if action is not None:
        if revision is not None:
            comment = f"revision {revision.number}: {revision.what or 'saved'}"
        else:
            comment = "saved, nothing changed"
        audit_record(
            action=action,
            actor=by,
            from_state=version.state,
            to_state=version.state,
            comment=comment,
            evaluation_version=version,
        )
    return revision
