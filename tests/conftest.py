"""Shared fixtures: users in each role, demo data, and a real Celery worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection

from config.celery_app import app as celery_app
from evaluations.demo import load_demo
from evaluations.models import EvaluationVersion, Score

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a-long-test-password-42"


@pytest.fixture(autouse=True)
def _isolated_cache_and_eager_tasks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks run in-process unless a test asks for a real worker; caches start empty."""
    eager = request.node.get_closest_marker("worker") is None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    cache.clear()
    yield
    celery_app.conf.task_always_eager = previous


def _user(username: str, group: str | None = None, **extra):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def reader(db):
    return _user("reader")


@pytest.fixture
def editor(db):
    return _user("editor", "Editors")


@pytest.fixture
def editor2(db):
    return _user("editor2", "Editors")


@pytest.fixture
def reviewer(db):
    return _user("reviewer", "Reviewers")


@pytest.fixture
def admin_user(db):
    return _user("admin", "Admins", is_staff=True, is_superuser=True)


@pytest.fixture
def demo(db) -> None:
    """The demo corpus: rubric v1 and sixteen published, scored cases."""
    load_demo()


@pytest.fixture
def demo_committed(transactional_db) -> None:
    """The demo corpus, committed, for tests whose worker reads the database."""
    load_demo()


# --- A real Celery worker ---------------------------------------------------


def _database_url_for_worker() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        raise RuntimeError("a real worker needs PostgreSQL: set DATABASE_URL")
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """A `celery worker` process consuming from the test Redis, on the test database."""

    def __init__(self, log_path: Path, concurrency: int = 2, name: str = "w1"):
        self.log_path = log_path
        self.concurrency = concurrency
        self.name = name
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        env = {**os.environ, "DATABASE_URL": _database_url_for_worker()}
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "INFO", "-P", "prefork",
             "-c", str(self.concurrency), "-n", f"{self.name}@%h", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = celery_app.control.ping(destination=[f"{self.name}@{os.uname().nodename}"], timeout=0.5)
            if replies:
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early; see {self.log_path}")
        raise RuntimeError(f"worker not ready after {timeout}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the whole worker, pool processes included."""
        if self.process and self.process.poll() is None:
            subprocess.run(["pkill", "-KILL", "-P", str(self.process.pid)], check=False)
            self.process.kill()
            self.process.wait(10)
        self.log.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self.log.close()


@pytest.fixture
def start_worker(transactional_db, tmp_path) -> Iterator[Callable[..., Worker]]:
    """Start real worker processes on demand; all are stopped after the test."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL and PostgreSQL: run by .ci/run against the production shape")
    celery_app.control.purge()
    workers: list[Worker] = []

    def start(concurrency: int = 2, name: str | None = None) -> Worker:
        worker = Worker(tmp_path / f"worker{len(workers)}.log", concurrency, name or f"w{len(workers)}")
        worker.start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
    celery_app.control.purge()


def wait_for(predicate: Callable[[], bool], timeout: float = 60, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def version_in_review(
    case_id: int, author, value: Callable[[Score], int] = lambda score: score.value
) -> EvaluationVersion:
    """A version in review copied from the case's published one, each score set by ``value``.

    Built directly, not through the desk's services, so that worker tests can
    publish a known change with a user who holds no group.
    """
    current = EvaluationVersion.objects.get(case_id=case_id, state=EvaluationVersion.State.PUBLISHED)
    version = EvaluationVersion.objects.create(
        evaluation=current.evaluation,
        case_id=case_id,
        number=current.number + 1,
        state=EvaluationVersion.State.IN_REVIEW,
        author=author,
        narrative=current.narrative,
        based_on=current,
    )
    Score.objects.bulk_create(
        Score(version=version, criterion=score.criterion, party=score.party, value=value(score))
        for score in current.scores.select_related("criterion", "party__organization")
    )
    return version
