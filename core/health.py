"""GET /health/: is this deployment able to do its work? For load balancers and monitoring.

Reports reachability only (no hosts, URLs or versions): 200 when the
database, cache and broker answer, no summary has been stale for longer
than HEALTH_STALE_MAX_SECONDS and every check the apps hand in passes (such
as "no scheduled publication overdue"); 503 otherwise, with status
"unhealthy" when something does not answer and "degraded" when only a backlog
is too old (the workers or the periodic jobs are down or not keeping up),
with the numbers. The backlog questions belong to the domain, so config.urls
hands them in (``health_view(stale_stats=..., checks={...})``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

from celery import current_app as celery_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from core.http import safe_methods

logger = logging.getLogger(__name__)


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure means "not reachable"
        logger.warning("health: database check failed", exc_info=True)
        return False


def _cache() -> bool:
    # ForgivingRedisCache swallows errors, so check a round trip instead.
    key, value = "health:probe", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    return cache.get(key) == value


def _broker() -> bool | None:
    """True/False; None when tasks run in-process (no broker to reach)."""
    if celery_app.conf.task_always_eager:
        return None
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        return True
    except Exception:
        logger.warning("health: broker check failed", exc_info=True)
        return False


StaleStats = Callable[[], tuple[int, datetime | None]]
# An app's check: (passes, the numbers to show). Asked only when the database answers.
Check = Callable[[], tuple[bool, dict[str, object]]]


def health_view(
    *, stale_stats: StaleStats, checks: Mapping[str, Check] | None = None
) -> Callable[[HttpRequest], HttpResponse]:
    """The /health/ view; ``stale_stats`` answers (how many stale summaries, since when);
    ``checks`` are the apps' own questions, each reported under its name."""
    checks = dict(checks or {})

    @never_cache
    @safe_methods
    def health(request: HttpRequest) -> JsonResponse:
        database = _database()
        stale_count, oldest = stale_stats() if database else (None, None)
        age = round((timezone.now() - oldest).total_seconds()) if oldest else (0 if database else None)
        reachability = {
            "database": database,
            "cache": _cache(),
            "broker": _broker(),
        }
        reachable = all(value is not False for value in reachability.values())
        stale_ok = age is not None and age <= settings.HEALTH_STALE_MAX_SECONDS
        app_checks: dict[str, dict[str, object]] = {}
        apps_ok = database
        for name, check in checks.items():
            passes, numbers = check() if database else (False, {})
            app_checks[name] = {"ok": passes, **numbers}
            apps_ok = apps_ok and passes
        healthy = reachable and stale_ok and apps_ok
        body = {
            # "degraded": everything answers, but the workers are not keeping up (or not running).
            "status": "ok" if healthy else ("degraded" if reachable else "unhealthy"),
            **reachability,
            "stale_summaries": {
                "count": stale_count,
                "oldest_age_seconds": age,
                "max_age_seconds": settings.HEALTH_STALE_MAX_SECONDS,
            },
            **app_checks,
        }
        return JsonResponse(body, status=200 if healthy else 503)

    return health
