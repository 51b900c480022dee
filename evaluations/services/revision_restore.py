"""Restoring a kept revision: its content saved again, as a new revision, by whoever restores it."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from evaluations import policy
from evaluations.models import EvaluationVersion, Revision
from evaluations.services.annotations import AnnotationInput
from evaluations.services.evidence import CitationInput
from evaluations.services.revisions import Content
from evaluations.services.workflow import ScoreInput, evaluation_version_save


def restore_arguments(content: Content) -> dict:
    """evaluation_version_save's content arguments that put ``content`` back (revision_content's shape)."""
    return {
        "narrative": content["narrative"],
        "verdict": content["verdict"],
        "change_note": content["change_note"],
        # Facts only where the draft carries them (a published case's); revisions kept before facts had none.
        **({"facts": content["facts"]} if content.get("facts") else {}),
        "scores": [
            ScoreInput(
                criterion=score["criterion"],
                party_id=score["party"],
                value=score["value"],
                rationale=score["rationale"],
                source_ids=tuple(score["sources"]),
                citations=tuple(
                    CitationInput(source_id=c["source"], quote=c["quote"], prefix=c["prefix"], suffix=c["suffix"])
                    for c in score.get("citations", ())  # revisions kept before evidence have none
                ),
            )
            for score in content["scores"]
        ]
        + [
            ScoreInput(criterion=item["criterion"], party_id=item["party"], value=None, rationale=item["rationale"])
            for item in content.get("parked_rationales", ())
        ],
        "annotations": [
            AnnotationInput(
                quote=note["quote"],
                kind=note["kind"],
                body=note["body"],
                prefix=note["prefix"],
                suffix=note["suffix"],
                author_id=note["author"],
                restored=True,
            )
            for note in content["annotations"]
        ],
    }


@transaction.atomic
def evaluation_version_restore(
    *, version: EvaluationVersion, by: User, expected_lock: int, number: int
) -> EvaluationVersion:
    """Save revision ``number`` of ``version`` again: a new revision, by ``by``.

    Everything a save checks applies: who may edit, the draft state, the
    optimistic lock (EditConflict when someone saved since ``expected_lock``),
    and the content's validity now (a party or source removed since is a
    ValidationError). Restoring makes ``by`` a contributor.
    """
    policy.check(by, "version.edit")
    revision = Revision.objects.filter(version_id=version.pk, number=number).first()
    if revision is None:
        raise ValidationError({"revision": [f"version {version.number} has no revision {number}"]})
    return evaluation_version_save(
        version=version,
        by=by,
        expected_lock=expected_lock,
        restored_from=revision.number,
        **restore_arguments(revision.content),
    )
