"""Notification emails sent by a real Celery worker on Redis and PostgreSQL, mail going to files.

The editor submits through the desk; once the transaction commits, the worker emails each reviewer
with a link on SITE_URL (the worker's setting, not the request's Host). A redelivered task sends
nothing more. Skipped without REDIS_URL (see tests/conftest.py).
"""

from __future__ import annotations

import pytest
from django.test import Client

from cases.models import Case
from evaluations import queue
from evaluations.models import EvaluationVersion, Notification
from evaluations.services import notifications, workflow
from tests.support.accounts import user_make
from tests.support.content import COLOSSUS
from tests.support.workers import outbox, text_of, wait_for

pytestmark = pytest.mark.worker
SITE = "https://desk.moatwatch.example"


def test_submitting_emails_the_reviewers_through_the_worker(start_worker, demo_committed, tmp_path, monkeypatch):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    monkeypatch.setenv("EMAIL_BACKEND", "file")  # read by the worker processes' settings
    monkeypatch.setenv("EMAIL_FILE_PATH", str(mail_dir))
    monkeypatch.setenv("SITE_URL", SITE)
    start_worker(concurrency=1)
    editor = user_make("worker-editor", "Editors", email="editor@newsroom.example")
    user_make("worker-reviewer", "Reviewers", email="reviewer@newsroom.example")
    version = workflow.evaluation_version_start(case=Case.objects.get(slug=COLOSSUS), by=editor)

    client = Client()  # host "testserver": the links must not use it
    client.force_login(editor)
    response = client.post(f"/desk/versions/{version.pk}/submit/", {"comment": "Ready for review."})
    assert response.status_code == 302
    assert EvaluationVersion.objects.get(pk=version.pk).state == "in_review"

    wait_for(lambda: len(outbox(mail_dir)) == 1, timeout=60)
    (message,) = outbox(mail_dir)
    assert message["To"] == "reviewer@newsroom.example"
    body = text_of(message)
    assert f"{SITE}/desk/versions/{version.pk}/" in body and "Ready for review." in body
    assert "testserver" not in body
    notification = Notification.objects.get(recipient__username="worker-reviewer")
    wait_for(lambda: Notification.objects.get(pk=notification.pk).emailed_at is not None, timeout=30)

    # The same message again (a redelivery): the worker sends nothing more.
    assert queue.send(queue.NOTIFICATION_EMAIL_SEND, notification.pk)
    # Then a new notification, queued behind the repeat (one worker process: in order).
    notifications.notifications_send(kind="comment", version=version, actor=None, recipients=[editor], text="Next.")
    wait_for(lambda: len(outbox(mail_dir)) == 2, timeout=60)
    assert [m["To"] for m in outbox(mail_dir)] == ["reviewer@newsroom.example", "editor@newsroom.example"]
