"""Two editors on one draft; approval for later; a published correction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from evaluations.models import AuditEntry, EvaluationVersion
from evaluations.services import publishing, workflow
from tests.support.content import checklist_cleared
from tests.support.payloads import version_payload


@pytest.fixture
def in_review(desk_case, editor):
    """The desk case's first version, written and submitted by the editor."""
    version = workflow.evaluation_version_start(case=desk_case, by=editor)
    client = Client()
    client.force_login(editor)
    payload = version_payload(version, narrative="First.")
    assert client.post(f"/desk/versions/{version.pk}/edit/", payload).status_code == 302
    assert client.post(f"/desk/versions/{version.pk}/submit/").status_code == 302
    version.refresh_from_db()
    return version


def test_second_save_gets_a_conflict_and_keeps_its_text(demo, desk_case, editor, editor2):
    version = workflow.evaluation_version_start(case=desk_case, by=editor)
    first, second = Client(), Client()
    first.force_login(editor)
    second.force_login(editor2)
    # Both load the form at the same revision.
    for client in (first, second):
        assert (
            f'name="lock_version" value="{version.lock_version}"'
            in client.get(f"/desk/versions/{version.pk}/edit/").content.decode()
        )
    loaded = version.lock_version
    payload = version_payload(version, narrative="Alpha's analysis.", lock_version=loaded)
    response = first.post(f"/desk/versions/{version.pk}/edit/", payload)
    assert response.status_code == 302
    mine = "Beta's <careful> analysis, an hour of work."
    response = second.post(
        f"/desk/versions/{version.pk}/edit/",
        version_payload(version, narrative=mine, verdict="Beta's verdict", lock_version=loaded, value=1),
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "edit conflict" in html and "saved by someone else" in html
    assert escape(mine) in html  # their text, shown back intact in the form
    assert 'value="Beta&#x27;s verdict"' in html
    assert "Alpha&#x27;s analysis." in html  # the saved text, for comparison
    version.refresh_from_db()
    assert version.narrative == "Alpha's analysis." and version.lock_version == loaded + 1
    assert set(version.scores.values_list("value", flat=True)) == {2}


def test_scheduled_publishing(demo, desk_case, in_review, reviewer, client):
    rv = Client()
    rv.force_login(reviewer)
    when = timezone.now() + timedelta(hours=6)
    data = {"publish_at": when.strftime("%Y-%m-%dT%H:%M"), "correction_note": ""}
    response = rv.post(f"/desk/versions/{in_review.pk}/approve/", data)
    assert response.status_code == 302
    in_review.refresh_from_db()
    assert in_review.state == "scheduled" and in_review.publish_at is not None
    assert abs(in_review.publish_at - when) < timedelta(minutes=1)
    # Not visible to readers, listed on the desk as scheduled.
    assert client.get(f"/cases/{desk_case.slug}/").status_code == 404
    dashboard = rv.get("/desk/").content.decode()
    scheduled = dashboard.split('id="scheduled-h"')[1].split("</section>")[0]
    assert escape(desk_case.title) in scheduled
    # Not yet due: nothing happens.
    assert publishing.evaluation_versions_publish_due(now=timezone.now()) == 0
    assert publishing.evaluation_versions_publish_due(now=when + timedelta(minutes=1)) == 1
    in_review.refresh_from_db()
    assert in_review.state == "published" and in_review.published_by == reviewer
    assert "First." in client.get(f"/cases/{desk_case.slug}/").content.decode()


def test_a_past_publish_at_and_a_bad_one_are_form_errors(demo, in_review, reviewer):
    rv = Client()
    rv.force_login(reviewer)
    response = rv.post(f"/desk/versions/{in_review.pk}/approve/", {"publish_at": "2026-13-45T99:00"})
    assert response.status_code == 400 and "Enter a valid date/time" in response.content.decode()
    # A time past is refused, never published at once (tests/evaluations/test_scheduling.py has the rest).
    past = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = rv.post(f"/desk/versions/{in_review.pk}/approve/", {"publish_at": past})
    assert response.status_code == 400 and "has already passed" in response.content.decode()
    in_review.refresh_from_db()
    assert in_review.state == "in_review"


def test_correction_note(demo, desk_case, in_review, editor, reviewer):
    rv = Client()
    rv.force_login(reviewer)
    # A first publication corrects nothing: the note is refused with a message.
    response = rv.post(f"/desk/versions/{in_review.pk}/approve/", {"correction_note": "fixed"})
    assert response.status_code == 400 and "a first publication corrects nothing" in response.content.decode()
    assert rv.post(f"/desk/versions/{in_review.pk}/approve/", {}).status_code == 302

    ed = Client()
    ed.force_login(editor)
    ed.post(f"/desk/cases/{desk_case.pk}/evaluate/")
    v2 = EvaluationVersion.objects.get(case=desk_case, number=2)
    payload = version_payload(v2, narrative="First, corrected.")
    assert ed.post(f"/desk/versions/{v2.pk}/edit/", payload).status_code == 302
    assert ed.post(f"/desk/versions/{v2.pk}/submit/").status_code == 302
    assert "correction_note" in rv.get(f"/desk/versions/{v2.pk}/").content.decode()
    note = "The first version misstated the lease length."
    assert rv.post(f"/desk/versions/{v2.pk}/approve/", {"correction_note": note}).status_code == 302
    v2.refresh_from_db()
    assert v2.state == "published" and v2.correction_note == note
    publish = AuditEntry.objects.get(evaluation_version=v2, action="publish")
    assert publish.comment == note and publish.actor == reviewer
    assert note in rv.get(f"/desk/cases/{desk_case.pk}/history/").content.decode()


def test_a_draft_submitted_meanwhile_refuses_the_save_and_keeps_the_text(demo, desk_case, editor, editor2):
    version = workflow.evaluation_version_start(case=desk_case, by=editor)
    client = Client()
    client.force_login(editor2)
    assert client.get(f"/desk/versions/{version.pk}/edit/").status_code == 200
    payload = version_payload(version, narrative="Late words.")
    # The author scores and submits the draft from under the second editor.
    party = desk_case.parties.first()
    workflow.evaluation_version_save(
        version=version,
        by=editor,
        expected_lock=version.lock_version,
        narrative="Saved.",
        scores=[workflow.ScoreInput("margin", party.pk, 1)],
    )
    checklist_cleared(version, editor)  # the other criteria scored too: the checklist lets it through
    workflow.evaluation_version_submit(version=version, by=editor)
    response = client.post(f"/desk/versions/{version.pk}/edit/", payload)
    html = response.content.decode()
    assert response.status_code == 409
    assert "Not saved: cannot edit a version that is in review" in html and "Late words." in html
    version.refresh_from_db()
    assert version.state == "in_review" and version.narrative == "Saved."
