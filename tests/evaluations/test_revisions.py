"""Every save kept, four eyes that hold: the services (evaluations/services/revisions.py,
revision_restore.py, the four-eyes rule in evaluations/policy.py) against a real database."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from core.errors import EditConflict
from evaluations import policy
from evaluations.models import AuditEntry, Revision, RubricVersion
from evaluations.services import annotations, workflow
from evaluations.services.revision_restore import evaluation_version_restore
from evaluations.services.rubric_versions import rubric_version_clone, rubric_version_update_draft

pytestmark = pytest.mark.django_db


def _save(version, by, **fields):
    version.refresh_from_db()
    return workflow.evaluation_version_save(version=version, by=by, expected_lock=version.lock_version, **fields)


def _scores(version, value):
    """The version's scores, every one set to ``value``."""
    return [
        workflow.ScoreInput(
            criterion=s.criterion.key,
            party_id=s.party_id,
            value=value,
            rationale=s.rationale,
            source_ids=tuple(s.sources.values_list("pk", flat=True)),
        )
        for s in version.scores.select_related("criterion")
    ]


def test_the_sidestep_is_refused_reviewer_edits_editor_submits_unchanged_reviewer_approves(
    draft_version, editor, reviewer, admin_user
):
    _save(draft_version, reviewer, verdict="The reviewer's verdict", scores=_scores(draft_version, 1))
    version = workflow.evaluation_version_submit(version=draft_version, by=editor)
    assert policy.contributor_ids(version) == {editor.pk, reviewer.pk}
    with pytest.raises(PermissionDenied, match="saved part of this version"):
        workflow.evaluation_version_approve(version=version, by=reviewer)
    version.refresh_from_db()
    assert version.state == "in_review"
    # The audit shows the reviewer's edit: who, when, what.
    save = AuditEntry.objects.get(evaluation_version=version, action="save")
    assert save.actor == reviewer and "verdict" in save.comment and "scores" in save.comment
    # Someone who wrote nothing of it may approve.
    assert workflow.evaluation_version_approve(version=version, by=admin_user).state == "published"


def test_a_margin_note_makes_a_contributor_and_is_audited(in_review_version, reviewer, admin_user):
    narrative = in_review_version.narrative
    quote = narrative.split("\n")[0][:40]  # a quote the narrative holds once (a repeated one needs context)
    note = annotations.annotation_add(
        version=in_review_version, by=reviewer, item=annotations.AnnotationInput(quote=quote, kind="context", body="b")
    )
    with pytest.raises(PermissionDenied):
        workflow.evaluation_version_approve(version=in_review_version, by=reviewer)
    annotations.annotation_delete(annotation=note, by=admin_user)
    actions = list(
        AuditEntry.objects.filter(evaluation_version=in_review_version, action__startswith="note").values_list(
            "action", "actor__username"
        )
    )
    assert actions == [("note_add", "reviewer"), ("note_remove", "admin")]
    # Removing the note does not unmake the contributor: the revision stays.
    assert policy.contributor_ids(in_review_version) >= {reviewer.pk, admin_user.pk}
    assert not policy.allowed(admin_user, "version.approve", in_review_version)


def test_each_save_is_a_revision_with_its_content_author_and_time(draft_version, editor, editor2):
    first = Revision.objects.get(version=draft_version)
    assert first.number == 1 and first.saved_by == editor and first.what.startswith("started from version")
    _save(draft_version, editor2, narrative="Second text.", change_note="why")
    _save(draft_version, editor2, narrative="Second text.", change_note="why")  # no change: no revision
    _save(draft_version, editor, scores=_scores(draft_version, 2))
    revisions = list(Revision.objects.filter(version=draft_version).order_by("number"))
    assert [(r.number, r.saved_by.username) for r in revisions] == [(1, "editor"), (2, "editor2"), (3, "editor")]
    assert revisions[1].content["narrative"] == "Second text." and revisions[1].content["change_note"] == "why"
    assert revisions[1].what == "narrative, change note"
    assert {s["value"] for s in revisions[2].content["scores"]} == {2}
    assert revisions[2].content["scores"][0]["sources"] == revisions[1].content["scores"][0]["sources"]
    assert revisions[0].saved_at <= revisions[1].saved_at <= revisions[2].saved_at
    comments = list(
        AuditEntry.objects.filter(evaluation_version=draft_version, action="save").values_list("comment", flat=True)
    )
    assert comments == ["revision 2: narrative, change note", "saved, nothing changed", "revision 3: scores"]


def test_restore_is_a_new_save_under_the_lock_and_the_policy(draft_version, editor, editor2, reader):
    original = draft_version.narrative
    quote = original.split("\n")[0][:40]  # a quote the narrative holds once
    _save(
        draft_version,
        editor,
        annotations=[annotations.AnnotationInput(quote=quote, kind="dissent", body="kept note")],
    )
    _save(draft_version, editor, narrative="Rewritten.")  # the note's quote is gone: orphaned
    assert draft_version.annotations.get().orphaned
    draft_version.refresh_from_db()
    with pytest.raises(EditConflict):
        evaluation_version_restore(
            version=draft_version, by=editor2, expected_lock=draft_version.lock_version - 1, number=2
        )
    with pytest.raises(PermissionDenied):
        evaluation_version_restore(version=draft_version, by=reader, expected_lock=draft_version.lock_version, number=2)
    with pytest.raises(ValidationError):
        evaluation_version_restore(
            version=draft_version, by=editor2, expected_lock=draft_version.lock_version, number=99
        )
    restored = evaluation_version_restore(
        version=draft_version, by=editor2, expected_lock=draft_version.lock_version, number=2
    )
    assert restored.narrative == original
    note = restored.annotations.get()
    assert note.author == editor and not note.orphaned and note.body == "kept note"
    latest = Revision.objects.filter(version=draft_version).order_by("-number").first()
    assert (latest.number, latest.saved_by, latest.restored_from) == (4, editor2, 2)
    assert latest.content == Revision.objects.get(version=draft_version, number=2).content
    assert AuditEntry.objects.filter(evaluation_version=draft_version, action="restore", actor=editor2).exists()
    # Restoring the revision whose note was orphaned brings it back orphaned, not refused.
    restored = evaluation_version_restore(version=restored, by=editor, expected_lock=restored.lock_version, number=3)
    assert restored.narrative == "Rewritten." and restored.annotations.get().orphaned


def test_restore_refuses_a_version_no_longer_a_draft(in_review_version, editor):
    from core.errors import TransitionNotAllowed

    with pytest.raises(TransitionNotAllowed):
        evaluation_version_restore(
            version=in_review_version, by=editor, expected_lock=in_review_version.lock_version, number=1
        )


def test_revisions_are_append_only_in_the_database(draft_version):
    revision = Revision.objects.get(version=draft_version)
    for write in (
        lambda: Revision.objects.filter(pk=revision.pk).update(what="forged"),
        lambda: Revision.objects.filter(pk=revision.pk).delete(),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            write()
    assert Revision.objects.get(pk=revision.pk).what == revision.what


def test_rubric_versions_created_edited_and_activated_are_audited(demo, admin_user):
    active = RubricVersion.objects.get(status="active")
    draft = rubric_version_clone(version=active, by=admin_user)
    rubric_version_update_draft(version=draft, by=admin_user, data={"version": {"changelog": "Sharper questions."}})
    entries = list(
        AuditEntry.objects.filter(rubric_version=draft).order_by("at", "id").values_list("action", "actor", "comment")
    )
    assert entries[0][:2] == ("create", admin_user.pk)
    assert entries[1] == ("edit", admin_user.pk, "edited: changelog")
