"""Schedules that fire everywhere (issue 13, item 4): failure 3 of "What is wrong now", reproduced.

A scheduled version stayed "scheduled" forever on the embedded default, the
dashboard showed nothing and /health/ said ok; the "Publish at" field named
no time zone and a time in the past published at once. Now: a time past is
refused on the desk and the API, an offset is honoured, a schedule can be
moved or withdrawn without a send-back (audited), an overdue publication
shows on the dashboard and fails /health/, and ``manage.py publish_due``
publishes what is due. The loop that runs the periodic jobs on the embedded
default is tested in tests/core/test_periodic.py.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from evaluations.models import AuditEntry, EvaluationVersion
from evaluations.services import scheduling, workflow

pytestmark = pytest.mark.django_db


def _desk(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _minute(when: datetime) -> datetime:
    return when.replace(second=0, microsecond=0)


def _actions(version: EvaluationVersion) -> list[str]:
    return list(AuditEntry.objects.filter(evaluation_version=version).order_by("pk").values_list("action", flat=True))


def test_a_time_in_the_past_is_refused_on_every_path(in_review_version, reviewer, client_for, settings):
    version = in_review_version
    past = timezone.now() - timedelta(minutes=30)
    before = _actions(version)
    # The service: a field error, nothing written.
    with pytest.raises(ValidationError) as refused:
        workflow.evaluation_version_approve(version=version, by=reviewer, publish_at=past)
    assert "has already passed" in refused.value.message_dict["publish_at"][0]
    # The desk: the form says so, in the site's time zone, and keeps the version in review.
    response = _desk(reviewer).post(
        f"/desk/versions/{version.pk}/approve/", {"publish_at": timezone.localtime(past).strftime("%Y-%m-%d %H:%M")}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "has already passed" in page and "it is now" in page and settings.TIME_ZONE in page
    # The API: 400 naming the field, also for a time given with an offset.
    url = f"/api/v1/evaluation-versions/{version.pk}/publish/"
    response = client_for(reviewer).post(url, {"publish_at": past.astimezone().isoformat()}, format="json")
    assert response.status_code == 400 and "publish_at" in str(response.json())
    version.refresh_from_db()
    assert version.state == "in_review" and version.publish_at is None and version.published_at is None
    assert _actions(version) == before


def test_the_publish_at_field_names_the_time_zone_and_reads_an_offset(in_review_version, reviewer, client_for):
    version = in_review_version
    desk = _desk(reviewer)
    page = desk.get(f"/desk/versions/{version.pk}/").content.decode()
    assert "Publish at (UTC)" in page and "+02:00" in page  # the label names the zone, the help shows an offset
    # Given with an offset, the time is that instant (07:00 UTC), whatever the site's zone.
    tomorrow = (timezone.now() + timedelta(days=1)).date()
    response = desk.post(f"/desk/versions/{version.pk}/approve/", {"publish_at": f"{tomorrow} 09:00+02:00"})
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.state == "scheduled"
    assert version.publish_at == datetime(tomorrow.year, tomorrow.month, tomorrow.day, 7, 0, tzinfo=UTC)
    # The version page says when, with the zone.
    assert "goes live" in desk.get(f"/desk/versions/{version.pk}/").content.decode()
    # The API reads ISO 8601 with an offset too (here through reschedule).
    url = f"/api/v1/evaluation-versions/{version.pk}/reschedule/"
    response = client_for(reviewer).post(url, {"publish_at": f"{tomorrow}T18:30:00+05:30"}, format="json")
    assert response.status_code == 200
    assert response.json()["publish_at"].startswith(f"{tomorrow}T13:00:00")


def test_reschedule_and_unschedule_on_the_desk_without_a_send_back(in_review_version, editor, reviewer):
    version = in_review_version
    desk = _desk(reviewer)
    first = _minute(timezone.now() + timedelta(days=2))
    assert desk.post(f"/desk/versions/{version.pk}/approve/", {"publish_at": first.isoformat()}).status_code == 302
    page = desk.get(f"/desk/versions/{version.pk}/").content.decode()
    assert "Reschedule" in page and "Unschedule" in page and "Approve and publish" not in page
    # Moved: still scheduled, at the new time, the move audited.
    later = first + timedelta(hours=5)
    response = desk.post(f"/desk/versions/{version.pk}/reschedule/", {"publish_at": later.isoformat()})
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.state == "scheduled" and version.publish_at == later
    entry = AuditEntry.objects.filter(evaluation_version=version).latest("pk")
    assert (entry.action, entry.actor, entry.from_state, entry.to_state) == (
        "reschedule",
        reviewer,
        "scheduled",
        "scheduled",
    )
    assert first.isoformat() in entry.comment and later.isoformat() in entry.comment
    # A time past is a form error; nothing moves.
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    response = desk.post(f"/desk/versions/{version.pk}/reschedule/", {"publish_at": past})
    assert response.status_code == 400 and "has already passed" in response.content.decode()
    version.refresh_from_db()
    assert version.publish_at == later
    # An editor has no such button and no such power.
    assert "Unschedule" not in _desk(editor).get(f"/desk/versions/{version.pk}/").content.decode()
    assert _desk(editor).post(f"/desk/versions/{version.pk}/unschedule/", {}).status_code == 403
    # Withdrawn: back in review, unchanged, no send-back; approving again publishes it.
    narrative, lock = version.narrative, version.lock_version
    response = desk.post(f"/desk/versions/{version.pk}/unschedule/", {"comment": "embargo moved"})
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.state == "in_review" and version.publish_at is None and version.narrative == narrative
    assert version.lock_version == lock + 1
    entry = AuditEntry.objects.filter(evaluation_version=version).latest("pk")
    assert (entry.action, entry.from_state, entry.to_state) == ("unschedule", "scheduled", "in_review")
    assert "embargo moved" in entry.comment
    assert "send_back" not in _actions(version)
    # Neither applies to a version that is not scheduled.
    response = desk.post(f"/desk/versions/{version.pk}/unschedule/", {}, follow=True)
    assert "cannot unschedule a version that is in review" in response.content.decode()
    assert desk.post(f"/desk/versions/{version.pk}/approve/", {}).status_code == 302
    version.refresh_from_db()
    assert version.state == "published"


def test_reschedule_and_unschedule_through_the_api(in_review_version, editor, reviewer, admin_user, client_for):
    version = in_review_version
    api = client_for(reviewer)
    base = f"/api/v1/evaluation-versions/{version.pk}"
    # Not scheduled yet: 409.
    assert api.post(f"{base}/unschedule/", format="json").status_code == 409
    when = _minute(timezone.now() + timedelta(days=1))
    assert api.post(f"{base}/publish/", {"publish_at": when.isoformat()}, format="json").json()["state"] == "scheduled"
    # An editor may not; a time past is a 400; a missing time is a 400.
    assert (
        client_for(editor).post(f"{base}/reschedule/", {"publish_at": when.isoformat()}, format="json").status_code
        == 403
    )
    past = (timezone.now() - timedelta(minutes=5)).isoformat()
    response = api.post(f"{base}/reschedule/", {"publish_at": past}, format="json")
    assert response.status_code == 400 and "has already passed" in response.json()["publish_at"][0]
    assert api.post(f"{base}/reschedule/", {}, format="json").status_code == 400
    later = when + timedelta(days=1)
    response = api.post(f"{base}/reschedule/", {"publish_at": later.isoformat()}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "scheduled"
    response = api.post(f"{base}/unschedule/", {"comment": "hold"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "in_review"
    assert response.json()["publish_at"] is None
    assert _actions(version)[-3:] == ["schedule", "reschedule", "unschedule"]
    # Rescheduling is a decision on the timing: not by the version's author (four eyes).
    assert api.post(f"{base}/publish/", {"publish_at": later.isoformat()}, format="json").status_code == 200
    version.refresh_from_db()
    with pytest.raises(PermissionDenied):
        scheduling.evaluation_version_reschedule(version=version, by=editor, publish_at=later)
    EvaluationVersion.objects.filter(pk=version.pk).update(author=admin_user)
    response = client_for(admin_user).post(f"{base}/reschedule/", {"publish_at": later.isoformat()}, format="json")
    assert response.status_code == 403


def test_an_overdue_publication_shows_on_the_dashboard_and_fails_health_until_publish_due_runs(
    in_review_version, reviewer, client, settings
):
    version = workflow.evaluation_version_approve(
        version=in_review_version, by=reviewer, publish_at=timezone.now() + timedelta(minutes=1)
    )
    desk = _desk(reviewer)
    assert "overdue" not in desk.get("/desk/").content.decode()
    # Its time came and went and nothing ran (as on the embedded default before): a little late is fine...
    settings.SCHEDULED_PUBLISH_OVERDUE_SECONDS = 300
    EvaluationVersion.objects.filter(pk=version.pk).update(publish_at=timezone.now() - timedelta(seconds=200))
    assert client.get("/health/").json()["overdue_publications"]["ok"] is True
    assert "overdue" not in desk.get("/desk/").content.decode()
    # ...more than the setting allows is not.
    EvaluationVersion.objects.filter(pk=version.pk).update(publish_at=timezone.now() - timedelta(minutes=10))
    dashboard = desk.get("/desk/").content.decode()
    scheduled = dashboard.split('id="scheduled-h"')[1].split("</section>")[0]
    assert "1 publication overdue" in scheduled and "publish_due" in scheduled
    assert 'class="overdue"' in scheduled
    response = client.get("/health/")
    body = response.json()
    assert response.status_code == 503 and body["status"] == "degraded"
    assert body["overdue_publications"]["ok"] is False and body["overdue_publications"]["count"] == 1
    assert body["overdue_publications"]["oldest_overdue_seconds"] >= 600
    assert body["overdue_publications"]["max_overdue_seconds"] == 300
    # The cron-style command publishes it and says how many; run again, it finds nothing.
    out = io.StringIO()
    call_command("publish_due", stdout=out)
    assert out.getvalue().strip() == "Published 1 due version(s)."
    out = io.StringIO()
    call_command("publish_due", stdout=out)
    assert out.getvalue().strip() == "Published 0 due version(s)."
    version.refresh_from_db()
    assert version.state == "published" and version.published_by == reviewer
    assert client.get(f"/cases/{version.case.slug}/").status_code == 200
    assert client.get("/health/").json()["overdue_publications"] == {
        "ok": True,
        "count": 0,
        "oldest_overdue_seconds": 0,
        "max_overdue_seconds": 300,
    }
    assert "overdue" not in desk.get("/desk/").content.decode()
