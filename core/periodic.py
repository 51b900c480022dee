"""The periodic jobs where there is no beat: the embedded default's scheduler loop.

There is one list of periodic jobs: Celery's beat schedule, to which each app
adds its entries in its ``tasks.py`` (by reference to the task objects). In
the production shape ``celery beat`` sends them to the workers. On the
embedded default (no broker, tasks run in-process) nothing would run them, so
``manage.py run_periodic`` (started by ``./scripts/run`` beside the server)
runs the same entries here, in-process, each when its schedule says it is
due. It knows no domain: it reads the Celery app's schedule.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from celery import Celery
from celery import current_app as default_app
from django.db import connections

logger = logging.getLogger(__name__)


@dataclass
class PeriodicJob:
    """One beat entry as this loop runs it."""

    name: str
    task: str  # the registered task name
    schedule: Any  # a celery schedule (interval or crontab): answers is_due(last_run)
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    last_run: datetime | None = None  # None: never run here, so due at once

    def is_due(self) -> bool:
        if self.last_run is None:
            return True
        due, _next = self.schedule.is_due(self.last_run)
        return bool(due)


def periodic_jobs(app: Celery | None = None) -> list[PeriodicJob]:
    """The beat schedule's entries, after every app's tasks module is imported (they add them)."""
    app = app or default_app
    app.loader.import_default_modules()
    return [
        PeriodicJob(
            name=name,
            task=entry["task"],
            schedule=entry["schedule"],
            args=tuple(entry.get("args") or ()),
            kwargs=dict(entry.get("kwargs") or {}),
        )
        for name, entry in app.conf.beat_schedule.items()
    ]


def periodic_run_due(jobs: list[PeriodicJob], app: Celery | None = None) -> list[str]:
    """Run, in this process, each job that is due; return the names of those run.

    A failing job is logged and tried again at its next time: one broken job
    does not stop the others (the tasks are idempotent, so a rerun is safe).
    """
    app = app or default_app
    ran = []
    for job in jobs:
        if not job.is_due():
            continue
        job.last_run = job.schedule.now()
        _fresh_connections()
        try:
            app.tasks[job.task].apply(args=job.args, kwargs=job.kwargs, throw=True)
        except Exception:
            logger.exception("periodic job %s failed; it runs again at its next time", job.name)
        else:
            ran.append(job.name)
    return ran


def _fresh_connections() -> None:
    """A long-lived process: never reuse a connection the database dropped (as Django does between
    requests). Not inside a transaction, which only a caller's test can have open."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


def periodic_loop(
    *,
    tick: float,
    keep_going: Callable[[], bool],
    jobs: list[PeriodicJob] | None = None,
    app: Celery | None = None,
) -> None:
    """Run due jobs every ``tick`` seconds while ``keep_going()`` answers True."""
    jobs = periodic_jobs(app) if jobs is None else jobs
    logger.info("periodic jobs: %s", ", ".join(job.name for job in jobs) or "none")
    while keep_going():
        ran = periodic_run_due(jobs, app)
        if ran:
            logger.info("periodic jobs run: %s", ", ".join(ran))
        time.sleep(tick)
    _fresh_connections()
