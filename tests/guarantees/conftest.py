"""Fixtures used only by the guarantees: the worker and fault tests' rubric, batches and Redis."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest

from config.celery_app import app as celery_app
from evaluations.demo import DATA_DIR, load_rubric
from evaluations.models import RubricVersion
from tests.support.workers import OwnRedis, free_port, use_broker


@pytest.fixture
def v1(transactional_db) -> RubricVersion:
    return load_rubric(json.loads((DATA_DIR / "rubric_v1.json").read_text()))


@pytest.fixture
def small_batches(monkeypatch, settings) -> None:
    """Small batches and short grace periods, for the workers (environment) and this process (settings)."""
    values = {
        "RECOMPUTE_BATCH_SIZE": 20,
        "FANOUT_BATCHES_PER_STEP": 3,
        "STALE_GRACE_SECONDS": 1,
        "PENDING_MARKER_SECONDS": 2,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, str(value))
        setattr(settings, name, value)


@pytest.fixture
def own_redis(tmp_path, monkeypatch) -> Iterator[OwnRedis]:
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    redis = OwnRedis(free_port(), tmp_path)
    redis.start()
    previous = celery_app.conf.broker_url
    monkeypatch.setenv("REDIS_URL", redis.url)  # the workers started in this test
    use_broker(redis.url)
    yield redis
    redis.stop()
    use_broker(previous)
