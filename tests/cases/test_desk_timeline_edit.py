"""Timeline events can be edited and deleted: directly on a case never published, through the
open draft's facts once it is published (readers see the change only when it is published)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from cases import desk_services, services
from cases.models import TimelineEvent
from core.errors import EditConflict, TransitionNotAllowed
from evaluations.models import EvaluationVersion
from evaluations.services import workflow


@pytest.fixture
def desk(client, editor):
    client.force_login(editor)
    return client


def url(case, n: int) -> str:
    return f"/desk/cases/{case.pk}/timeline/{n}/"


def test_a_never_published_case_s_event_is_edited_and_deleted_in_place(draft_case, editor, desk):
    event = TimelineEvent.objects.create(case=draft_case, kind="announced", occurred_on="2026-03-01")
    page = desk.get(f"/desk/cases/{draft_case.pk}/")
    assert url(draft_case, 0) in page.content.decode()
    form = desk.get(url(draft_case, 0))
    assert form.status_code == 200 and 'value="2026-03-01"' in form.content.decode()
    body = {"kind": "closed", "occurred_on": "2026-04-02", "precision": "month", "note": "Closed.", "lock": event.pk}
    assert desk.post(url(draft_case, 0), body).status_code == 302
    event.refresh_from_db()
    assert (event.kind, event.occurred_on, event.precision, event.note) == (
        "closed",
        date(2026, 4, 2),
        "month",
        "Closed.",
    )
    stale = desk.post(url(draft_case, 0), {**body, "lock": "999999"})
    assert stale.status_code == 400 and "changed since you opened" in stale.content.decode()
    assert desk.post(url(draft_case, 0), {"delete": "1", "lock": event.pk}).status_code == 302
    assert not TimelineEvent.objects.filter(pk=event.pk).exists()


def test_bad_input_and_unknown_events(draft_case, desk):
    event = TimelineEvent.objects.create(case=draft_case, kind="announced", occurred_on="2026-03-01")
    assert desk.get(url(draft_case, 5)).status_code == 404
    bad = desk.post(url(draft_case, 0), {"kind": "king", "occurred_on": "nope", "lock": event.pk})
    assert bad.status_code == 400
    assert TimelineEvent.objects.get(pk=event.pk).kind == "announced"


def test_the_services_refuse_a_published_case_s_events(published_case, editor):
    event = published_case.timeline.first()
    with pytest.raises((PermissionDenied, TransitionNotAllowed)):
        services.timeline_event_update(event=event, by=editor, kind="closed", occurred_on=date(2026, 1, 1))
    with pytest.raises((PermissionDenied, TransitionNotAllowed)):
        services.timeline_event_delete(event=event, by=editor)


def test_a_reader_may_not(draft_case, client, reader):
    TimelineEvent.objects.create(case=draft_case, kind="announced", occurred_on="2026-03-01")
    client.force_login(reader)
    assert client.get(url(draft_case, 0)).status_code == 403


def test_a_published_case_s_event_changes_in_a_draft_and_readers_see_it_once_published(
    published_case, editor, reviewer, desk, client
):
    before = list(published_case.timeline.values_list("kind", "occurred_on"))
    assert before
    body = {"kind": "expanded", "occurred_on": "2026-05-05", "precision": "day", "note": "Grew.", "lock": ""}
    response = desk.post(url(published_case, 0), body)
    assert response.status_code == 302
    draft = EvaluationVersion.objects.get(case=published_case, state="draft")
    assert draft.facts["timeline"][0] == {
        "kind": "expanded",
        "occurred_on": "2026-05-05",
        "precision": "day",
        "note": "Grew.",
    }
    assert list(published_case.timeline.values_list("kind", "occurred_on")) == before  # readers: unchanged
    # The desk's case page now lists the draft's timeline.
    page = desk.get(f"/desk/cases/{published_case.pk}/").content.decode()
    assert f"As draft version {draft.number} holds it" in page and "Grew." in page
    # A stale lock is refused (someone saved the draft since): the existing If-Match rule.
    stale = desk.post(url(published_case, 0), {**body, "note": "Mine", "lock": str(draft.lock_version - 1)})
    assert stale.status_code == 400 and "saved by someone else" in stale.content.decode()
    # Deleting it, then publishing: the case's timeline loses that event.
    deleted = desk.post(url(published_case, 0), {"delete": "1", "lock": str(draft.lock_version)})
    assert deleted.status_code == 302
    draft.refresh_from_db()
    assert len(draft.facts["timeline"]) == len(before) - 1
    workflow.evaluation_version_submit(version=draft, by=editor)
    workflow.evaluation_version_approve(version=draft, by=reviewer)
    assert published_case.timeline.count() == len(before) - 1


def test_a_draft_started_after_the_page_loaded_is_a_conflict(published_case, editor):
    workflow.evaluation_version_start(case=published_case, by=editor)
    with pytest.raises(EditConflict):
        desk_services.case_timeline_change_in_draft(
            by=editor, case=published_case, index=0, event=None, expected_lock=None
        )


def test_an_event_index_out_of_range_is_a_form_error(published_case, editor):
    draft = workflow.evaluation_version_start(case=published_case, by=editor)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        desk_services.case_timeline_change_in_draft(
            by=editor, case=published_case, index=99, event=None, expected_lock=draft.lock_version
        )


def test_a_version_in_review_is_not_changed(published_case, editor, desk):
    draft = workflow.evaluation_version_start(case=published_case, by=editor)
    workflow.evaluation_version_submit(version=draft, by=editor)
    draft.refresh_from_db()
    response = desk.post(url(published_case, 0), {"delete": "1", "lock": str(draft.lock_version)})
    assert response.status_code in (400, 403)
    draft.refresh_from_db()
    assert draft.state == "in_review"
