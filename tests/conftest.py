"""Every shared fixture, defined once: users in each role, the demo corpus, real Celery workers,
unpublished content on a published case, and API clients per role.

Helpers that tests import (a password, payloads, workers, the synthetic archive
checks...) live in tests/support/; a folder's conftest.py holds only fixtures
used in that folder alone.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from rest_framework.authtoken.models import Token

from cases.models import Case
from config.celery_app import app as celery_app
from evaluations.models import EvaluationVersion
from evaluations.services import workflow
from tests.support.accounts import user_make
from tests.support.api import CheckedClient
from tests.support.content import (
    COLOSSUS,
    draft_case_make,
    draft_version_make,
    publish_full_version,
    unpublished_version_make,
)
from tests.support.demo_corpus import DemoCorpora, DemoCorpus
from tests.support.payloads import case_payload
from tests.support.workers import Worker

# The site keeps Django's password hashers (PBKDF2 first; tests/config/test_settings.py checks); the tests
# hash with a fast one: a test user costs ~1 s of PBKDF2 otherwise, and so does every sign-in.
TEST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    with override_settings(PASSWORD_HASHERS=TEST_PASSWORD_HASHERS):
        yield


@pytest.fixture(autouse=True)
def _isolated_cache_and_eager_tasks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks run in-process unless a test asks for a real worker; caches start empty."""
    eager = request.node.get_closest_marker("worker") is None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    cache.clear()
    yield
    celery_app.conf.task_always_eager = previous


if os.environ.get("MOATWATCH_TEST_DB_TEMPLATE"):
    # scripts/mutation: every mutant is a new pytest session, and migrating a fresh SQLite
    # database takes seconds. The script migrates one file first; each session works on a
    # copy of it (its own, so parallel sessions never share a database).

    @pytest.fixture(scope="session")
    def django_db_setup(django_db_blocker) -> Iterator[None]:
        from django.db import connections

        folder = Path(tempfile.mkdtemp(prefix="moatwatch-db-"))
        copy = folder / "db.sqlite3"
        shutil.copyfile(os.environ["MOATWATCH_TEST_DB_TEMPLATE"], copy)
        with django_db_blocker.unblock():
            connections["default"].close()
            connections["default"].settings_dict["NAME"] = str(copy)
        yield
        with django_db_blocker.unblock():
            connections["default"].close()
        shutil.rmtree(folder, ignore_errors=True)

elif os.environ.get("MOATWATCH_TEST_DB_REUSE"):
    # scripts/mutation with MUTATION_DATABASE_URL (PostgreSQL): the database the script migrated,
    # used as is by every session, one at a time; every test rolls back its transaction.

    @pytest.fixture(scope="session")
    def django_db_setup() -> None:
        return None


@pytest.fixture
def reader(db):
    return user_make("reader")


@pytest.fixture
def editor(db):
    return user_make("editor", "Editors")


@pytest.fixture
def editor2(db):
    return user_make("editor2", "Editors")


@pytest.fixture
def reviewer(db):
    return user_make("reviewer", "Reviewers")


@pytest.fixture
def admin_user(db):
    return user_make("admin", "Admins", is_staff=True, is_superuser=True)


@pytest.fixture(scope="session")
def demo_corpora(django_db_setup, django_db_blocker) -> DemoCorpora:
    """The demo loader's rows, taken once (tests/support/demo_corpus.py); restored by ``demo``."""
    corpora = DemoCorpora()
    with django_db_blocker.unblock():
        corpora.copies.append(DemoCorpus.take())
    return corpora


@pytest.fixture
def demo(db, demo_corpora) -> None:
    """The demo corpus: rubric v1 and sixteen published, scored cases (what ``load_demo()`` writes)."""
    demo_corpora.restore()


@pytest.fixture
def demo_committed(transactional_db, demo_corpora) -> None:
    """The demo corpus, committed, for tests whose worker reads the database."""
    demo_corpora.restore()


@pytest.fixture
def browser(monkeypatch) -> Iterator:
    """Headless Chromium for one test (tests/support/browser.py; skipped without Chromium or Playwright)."""
    from tests.support.browser import launch  # not at the top: importing it skips when Chromium is missing

    # Playwright's sync API runs an event loop in this thread; the live server's ORM calls are fine.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with launch() as chromium:
        yield chromium


# --- Real Celery workers (tests marked `worker`) ---------------------------------


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


# --- Unpublished content on top of the demo corpus -----------------------------


@pytest.fixture
def publish_second_version(editor, reviewer) -> Callable[..., EvaluationVersion]:
    """Publish a new version of a case through the desk's services (start, save, submit, approve)."""

    def publish(
        slug: str = COLOSSUS, *, extra: str = "\n\nA later paragraph added in review.", note: str = ""
    ) -> EvaluationVersion:
        case = Case.objects.get(slug=slug)
        version = draft_version_make(case, editor, narrative_extra=extra, verdict=None, annotate=None)
        version = workflow.evaluation_version_submit(version=version, by=editor)
        return workflow.evaluation_version_approve(version=version, by=reviewer, correction_note=note)

    return publish


@pytest.fixture
def unpublished_version(editor, reviewer) -> Callable[..., EvaluationVersion]:
    """``unpublished_version(state, slug=COLOSSUS)``: see ``unpublished_version_make``."""

    def make(state: str, slug: str = COLOSSUS) -> EvaluationVersion:
        return unpublished_version_make(state, editor, reviewer, slug)

    return make


@pytest.fixture
def draft_case(demo) -> Case:
    return draft_case_make()


@pytest.fixture
def published(demo, editor, reviewer) -> EvaluationVersion:
    """A demo analysis re-published with annotations and scores that cite sources."""
    return publish_full_version(editor, reviewer)


@pytest.fixture
def desk_case(demo, editor, client) -> Case:
    """A draft case made through the desk by the editor (one party created inline)."""
    client.force_login(editor)
    response = client.post("/desk/cases/new/", case_payload())
    assert response.status_code == 302, [ln for ln in response.content.decode().splitlines() if "errorlist" in ln]
    client.logout()
    return Case.objects.get(title="Nimbus leases chips to Anthropic")


# --- API clients ----------------------------------------------------------------


@pytest.fixture
def api_client() -> CheckedClient:
    return CheckedClient()


@pytest.fixture
def client_for(db) -> Callable[..., CheckedClient]:
    """A client authenticated with the user's API token (None: anonymous)."""

    def make(user=None) -> CheckedClient:
        client = CheckedClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def roles(reader, editor, editor2, reviewer, admin_user) -> dict:
    return {
        "anonymous": None,
        "reader": reader,
        "editor": editor,
        "editor2": editor2,
        "reviewer": reviewer,
        "admin": admin_user,
    }


@pytest.fixture
def published_case(demo):
    """A demo case with a published analysis."""
    return Case.objects.published().filter(evaluation_versions__annotations__isnull=False).distinct().first()


@pytest.fixture
def draft_version(published_case, editor) -> EvaluationVersion:
    """A new draft of a published case, written by ``editor``."""
    return workflow.evaluation_version_start(case=published_case, by=editor)


@pytest.fixture
def in_review_version(draft_version, editor) -> EvaluationVersion:
    return workflow.evaluation_version_submit(version=draft_version, by=editor)
