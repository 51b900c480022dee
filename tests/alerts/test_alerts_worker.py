"""Alerts end to end with a real Celery worker on Redis and PostgreSQL, mail going to files.

subscribe → the confirmation link arrives in the outbox → confirm → a matching case is published
→ beat's scan (queued here as beat would) → the digest arrives with that case and nothing
unpublished → unsubscribe with one request. Skipped without REDIS_URL (see tests/conftest.py).
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from alerts import services as alert_services
from alerts import tasks
from alerts.models import Notice, Subscriber
from cases.models import Case
from evaluations.services import workflow
from tests.support.content import COLOSSUS, SECRET, unpublished_version_make
from tests.support.workers import outbox, text_of, wait_for

pytestmark = pytest.mark.worker

ADDRESS = "worker-reader@example.org"


def path_of(text: str, kind: str) -> str:
    match = re.search(rf"https?://[^\s/]+(/alerts/{kind}/[^\s/]+/)", text)
    assert match, text
    return match[1]


def test_subscribe_confirm_publish_digest_unsubscribe(start_worker, demo_committed, tmp_path, monkeypatch):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    monkeypatch.setenv("EMAIL_BACKEND", "file")  # read by the worker processes' settings
    monkeypatch.setenv("EMAIL_FILE_PATH", str(mail_dir))
    start_worker(concurrency=2)
    users = get_user_model().objects
    writer = users.create_superuser("alerts-writer", "w@example.com", "pw-writer-123456")
    approver = users.create_superuser("alerts-approver", "a@example.com", "pw-approver-123456")
    client = Client()

    def alert_mail() -> list:
        """The subscriber's mail (the desk's notifications of the steps below go to the staff's addresses)."""
        return [message for message in outbox(mail_dir) if message["To"] == ADDRESS]

    response = client.post(
        "/alerts/",
        {
            "email": ADDRESS,
            "topic": "organization",
            "organization": "anthropic",
            "frequency": "immediate",
            "consent": "on",
        },
    )
    assert response.status_code == 200
    wait_for(lambda: len(alert_mail()) == 1, timeout=60)
    (confirmation,) = alert_mail()
    assert confirmation["To"] == ADDRESS
    assert not Subscriber.objects.exists()
    assert client.post(path_of(text_of(confirmation), "confirm")).status_code == 200
    assert Subscriber.objects.filter(email=ADDRESS).exists()

    # Unpublished work naming Anthropic on another case, then a correction of Colossus 1 published.
    unpublished_version_make("in_review", writer, approver, slug="amazon-anthropic")
    case = Case.objects.get(slug=COLOSSUS)
    version = workflow.evaluation_version_start(case=case, by=writer)
    version = workflow.evaluation_version_save(
        version=version,
        by=writer,
        expected_lock=version.lock_version,
        narrative=version.narrative + "\n\nThe lease terms were confirmed in a filing.",
        verdict=version.verdict,
    )
    version = workflow.evaluation_version_submit(version=version, by=writer)
    version = workflow.evaluation_version_approve(version=version, by=approver, correction_note="300 MW, not 200 MW.")

    tasks.alerts_scan_task.delay()  # what beat sends every ALERTS_SCAN_INTERVAL_SECONDS
    wait_for(lambda: len(alert_mail()) == 2, timeout=60)
    digest = alert_mail()[1]
    text = text_of(digest)
    assert digest["To"] == ADDRESS
    assert case.title in text and f"/cases/{COLOSSUS}/versions/{version.number}/" in text
    assert "300 MW, not 200 MW." in text
    assert SECRET not in text.lower() and "amazon-anthropic" not in text
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<https?://[^/]+(/alerts/unsubscribe/[^>]+/)>", digest["List-Unsubscribe"])[1]

    # The scan already matched that version: running it again (here, in-process) owes nothing more.
    assert alert_services.alerts_scan() == 0
    assert Notice.objects.get().sent_at is not None

    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        unsubscribe, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not Subscriber.objects.exists() and not Notice.objects.exists()
    assert len(alert_mail()) == 2
