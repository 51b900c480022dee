"""Real Celery workers, a Redis server of a test's own, and what the worker tests wait for."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection

from config.celery_app import app as celery_app
from evaluations.models import RiskSummary, RubricVersion
from evaluations.services import rubric_versions
from tests.support.synthetic import assert_summary_matches, expected_summary, new_rubric_version_data

ROOT = Path(__file__).resolve().parents[2]


def database_url_for_worker() -> str:
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
        env = {**os.environ, "DATABASE_URL": database_url_for_worker()}
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


def wait_for(predicate: Callable[[], bool], timeout: float = 60, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def summaries_done(rubric_version: RubricVersion, case_ids: list[int]) -> bool:
    return RiskSummary.objects.filter(case_id__in=case_ids, rubric_version=rubric_version, stale=False).count() == len(
        case_ids
    )


def assert_all_correct(rubric_version: RubricVersion, case_ids: list[int]) -> None:
    for summary in RiskSummary.objects.filter(case_id__in=case_ids).prefetch_related("party_figures"):
        assert_summary_matches(summary, expected_summary(summary.case_id, rubric_version), rubric_version)


def activate_v2(v1: RubricVersion) -> RubricVersion:
    v2 = rubric_versions.rubric_version_create(rubric=v1.rubric, data=new_rubric_version_data(v1), by=None)
    return rubric_versions.rubric_version_activate(version=v2, by=None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    def __init__(self, port: int, workdir: Path):
        self.port, self.workdir, self.process = port, workdir, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("own redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def use_broker(url: str) -> None:
    """Point this process's Celery app at another broker (drop pooled connections)."""
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def outbox(folder: Path) -> list[email.message.EmailMessage]:
    """Every message the workers' file backend wrote, oldest first (one file per connection, messages
    separated by dashes). By the files' write time: their names hold the second and an object's id, so
    two files of the same second would sort at random by name."""
    messages = []
    for path in sorted(folder.glob("*.log"), key=lambda path: (path.stat().st_mtime_ns, path.name)):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk.lstrip(), policy=email.policy.default))
    return messages


def text_of(message) -> str:
    return "\n".join(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")
