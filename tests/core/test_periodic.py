"""The embedded default's scheduler loop (core.periodic, manage.py run_periodic).

It runs the beat schedule (one list: what beat sends to the workers in the
production shape) in-process. Proven against the database: a version
scheduled to go out in a moment is published by the loop, with nothing else
running.
"""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from celery.schedules import schedule
from django.core.management import call_command
from django.utils import timezone

from config.celery_app import app as celery_app
from core.periodic import PeriodicJob, periodic_jobs, periodic_loop, periodic_run_due
from evaluations.models import EvaluationVersion
from evaluations.services import workflow

pytestmark = pytest.mark.django_db


def test_the_loop_runs_the_beat_schedule_itself():
    jobs = periodic_jobs()
    assert {job.name for job in jobs} == set(celery_app.conf.beat_schedule)
    assert {"scheduled-publish", "risk-summary-sweep", "alerts-scan"} <= {job.name for job in jobs}
    by_name = {job.name: job for job in jobs}
    assert by_name["scheduled-publish"].task == "evaluations.tasks.evaluation_versions_publish_due_task"


def test_each_job_runs_at_once_then_only_when_due_and_a_failure_stops_no_other(caplog):
    ran: list[int] = []

    @celery_app.task(name="tests.periodic.count")
    def count() -> int:
        ran.append(1)
        return len(ran)

    jobs = [
        PeriodicJob("broken", "tests.periodic.missing", schedule(timedelta(hours=1))),
        PeriodicJob("count", count.name, schedule(timedelta(hours=1))),
    ]
    assert periodic_run_due(jobs) == ["count"]  # the broken one is logged, the other still runs
    assert "periodic job broken failed" in caplog.text
    assert periodic_run_due(jobs) == []  # not due again for an hour
    jobs[1].schedule = schedule(timedelta(seconds=0))
    assert periodic_run_due(jobs) == ["count"] and len(ran) == 2


def test_the_loop_publishes_a_scheduled_version_when_its_time_comes(in_review_version, reviewer):
    version = workflow.evaluation_version_approve(
        version=in_review_version, by=reviewer, publish_at=timezone.now() + timedelta(seconds=2)
    )
    assert version.state == "scheduled"
    jobs = periodic_jobs()
    for job in jobs:  # the real jobs, at a test's pace (the real intervals are a minute and more)
        job.schedule = schedule(timedelta(seconds=0.5))
    deadline = time.monotonic() + 20

    def keep_going() -> bool:
        state = EvaluationVersion.objects.filter(pk=version.pk).values_list("state", flat=True).get()
        return state == "scheduled" and time.monotonic() < deadline

    periodic_loop(tick=0.1, keep_going=keep_going, jobs=jobs)
    version.refresh_from_db()
    assert version.state == "published" and version.published_by == reviewer
    assert version.published_at >= version.publish_at


def test_run_periodic_once(in_review_version, reviewer):
    version = workflow.evaluation_version_approve(
        version=in_review_version, by=reviewer, publish_at=timezone.now() + timedelta(days=1)
    )
    EvaluationVersion.objects.filter(pk=version.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    out = io.StringIO()
    call_command("run_periodic", "--once", stdout=out)
    assert "scheduled-publish" in out.getvalue() and "risk-summary-sweep" in out.getvalue()
    version.refresh_from_db()
    assert version.state == "published"
