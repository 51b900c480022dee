"""The record cannot be rewritten: published analyses, frozen rubric versions and the audit log.

Every path is tried: the services (clear errors), the ORM's ``update()`` and
``delete()``, and raw SQL (the database's triggers), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from cases import services as case_services
from cases.models import Source
from core.errors import TransitionNotAllowed
from evaluations.dbtriggers import UNLOCK_TABLE, frozen_writes_allowed
from evaluations.models import Annotation, AuditEntry, Criterion, EvaluationVersion, RubricVersion, Score
from evaluations.services import annotations, audit, workflow
from tests.support.content import checklist_cleared

pytestmark = pytest.mark.django_db


def refused(action) -> None:
    """The statement fails in the database and nothing changes."""
    with pytest.raises(IntegrityError), transaction.atomic():
        action()


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    "field,value",
    [
        ("narrative", "rewritten"),
        ("verdict", "rewritten"),
        ("change_note", "x"),
        ("correction_note", "x"),
        ("number", 99),
        ("lock_version", 99),
        ("state", "draft"),
        ("publish_at", None),
    ],
)
def test_published_version_columns_cannot_change_through_the_orm(published, field, value):
    if field == "publish_at":
        value = published.published_at  # any change at all
    refused(lambda: EvaluationVersion.objects.filter(pk=published.pk).update(**{field: value}))
    published.refresh_from_db()
    assert published.state == "published"


def test_published_version_cannot_change_through_raw_sql_or_be_deleted(published):
    refused(lambda: raw("UPDATE evaluations_evaluationversion SET narrative = 'x' WHERE id = %s", [published.pk]))
    refused(lambda: raw("DELETE FROM evaluations_evaluationversion WHERE id = %s", [published.pk]))
    refused(lambda: EvaluationVersion.objects.filter(pk=published.pk).delete())
    narrative = published.narrative
    published.refresh_from_db()
    assert published.narrative == narrative


def test_scores_links_and_annotations_of_a_published_version_are_frozen(published):
    score = published.scores.filter(sources__isnull=False).first()
    source = score.sources.first()
    other_source = Source.objects.filter(case_id=published.case_id).exclude(pk=source.pk).first()
    note = published.annotations.first()
    before = (Score.objects.count(), Score.sources.through.objects.count(), Annotation.objects.count())

    refused(lambda: Score.objects.filter(pk=score.pk).update(rationale="rewritten"))
    refused(lambda: raw("UPDATE evaluations_score SET value = 0 WHERE id = %s", [score.pk]))
    refused(lambda: Score.objects.filter(pk=score.pk).delete())
    refused(
        lambda: Score.objects.create(
            version=published, criterion=score.criterion, party=None, value=1, rationale="added later"
        )
    )
    refused(lambda: score.sources.remove(source))
    refused(lambda: score.sources.clear())
    if other_source is not None:
        refused(lambda: score.sources.add(other_source))
    refused(lambda: Annotation.objects.filter(pk=note.pk).update(body="rewritten"))
    refused(lambda: Annotation.objects.filter(pk=note.pk).update(orphaned=not note.orphaned))
    refused(lambda: raw("DELETE FROM evaluations_annotation WHERE id = %s", [note.pk]))
    refused(
        lambda: Annotation.objects.create(version=published, quote="q", kind="context", body="b", author=note.author)
    )
    assert (Score.objects.count(), Score.sources.through.objects.count(), Annotation.objects.count()) == before


def test_publishing_supersedes_and_the_superseded_version_is_frozen_too(published, editor, reviewer):
    draft = workflow.evaluation_version_start(case=published.case, by=editor)
    workflow.evaluation_version_save(version=draft, by=editor, expected_lock=draft.lock_version, narrative="v2 text")
    checklist_cleared(draft, editor)  # the new text left the margin notes without a passage
    workflow.evaluation_version_submit(version=draft, by=editor)
    workflow.evaluation_version_approve(version=draft, by=reviewer)
    published.refresh_from_db()
    assert published.state == "superseded"
    refused(lambda: EvaluationVersion.objects.filter(pk=published.pk).update(state="published"))
    refused(lambda: EvaluationVersion.objects.filter(pk=published.pk).update(narrative="x"))
    refused(lambda: published.scores.update(value=0))
    refused(lambda: published.annotations.all().delete())


def test_drafts_stay_editable_orphaned_flags_included(published, editor):
    draft = workflow.evaluation_version_start(case=published.case, by=editor)
    note = draft.annotations.first()
    Annotation.objects.filter(pk=note.pk).update(orphaned=not note.orphaned)
    draft.scores.update(rationale="edited")
    workflow.evaluation_version_save(
        version=draft, by=editor, expected_lock=draft.lock_version, narrative="all new text"
    )
    assert draft.annotations.filter(orphaned=True).count() == draft.annotations.count()


def test_services_refuse_with_clear_errors(published, editor):
    with pytest.raises(TransitionNotAllowed, match="published"):
        workflow.evaluation_version_save(
            version=published, by=editor, expected_lock=published.lock_version, narrative="x"
        )
    with pytest.raises(TransitionNotAllowed, match="published"):
        annotations.annotation_delete(annotation=published.annotations.first(), by=editor)
    cited = Source.objects.filter(scores__version=published).first()
    # A published case's sources are its facts: they change only through a draft version...
    with pytest.raises(TransitionNotAllowed, match="Edit the facts in a draft version"):
        case_services.source_delete(source=cited, by=editor)
    assert Source.objects.filter(pk=cited.pk).exists()
    # ...and a draft's facts that drop a source the published analysis cites are refused.
    draft = workflow.evaluation_version_start(case=published.case, by=editor)
    kept = [source for source in draft.facts["sources"] if source["url"] != cited.url]
    with pytest.raises(ValidationError, match="a source cited by a published analysis stays on the record"):
        workflow.evaluation_version_save(
            version=draft, by=editor, expected_lock=draft.lock_version, facts={"sources": kept}
        )
    assert Source.objects.filter(pk=cited.pk).exists()
    assert case_services.case_on_record(published.case)


def test_admin_offers_no_deletion_of_cases_or_cited_sources(published, admin_user, client):
    client.force_login(admin_user)
    response = client.get(f"/admin/cases/case/{published.case_id}/delete/")
    assert response.status_code == 403
    cited = Source.objects.filter(scores__version=published).first()
    assert client.get(f"/admin/cases/source/{cited.pk}/delete/").status_code == 403


def test_audit_entries_are_append_only(published):
    entry = AuditEntry.objects.filter(evaluation_version=published).first()
    refused(lambda: AuditEntry.objects.filter(pk=entry.pk).update(comment="rewritten"))
    refused(lambda: raw("UPDATE evaluations_auditentry SET actor_id = NULL WHERE id = %s", [entry.pk]))
    refused(lambda: AuditEntry.objects.filter(pk=entry.pk).delete())
    refused(lambda: raw("DELETE FROM evaluations_auditentry"))
    audit.audit_record(
        action="submit", actor=None, from_state="draft", to_state="in_review", evaluation_version=published
    )


def test_active_rubric_version_and_its_criteria_cannot_change_or_go(demo):
    active = RubricVersion.objects.get(status="active")
    criterion = active.criteria.first()
    refused(lambda: RubricVersion.objects.filter(pk=active.pk).update(changelog="rewritten"))
    refused(lambda: raw("DELETE FROM evaluations_rubricversion WHERE id = %s", [active.pk]))
    refused(lambda: Criterion.objects.filter(pk=criterion.pk).update(weight=5))
    refused(lambda: raw("DELETE FROM evaluations_criterion WHERE id = %s", [criterion.pk]))


def test_the_escape_hatch_is_scoped_to_its_transaction(published):
    with frozen_writes_allowed():
        EvaluationVersion.objects.filter(pk=published.pk).update(verdict="restored from a backup")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {UNLOCK_TABLE}")  # noqa: S608
        assert cursor.fetchone()[0] == 0
    refused(lambda: EvaluationVersion.objects.filter(pk=published.pk).update(verdict="again"))
    with pytest.raises(RuntimeError), frozen_writes_allowed():
        raise RuntimeError("an import failing halfway")
    refused(lambda: EvaluationVersion.objects.filter(pk=published.pk).update(verdict="again"))
