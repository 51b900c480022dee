"""Settings for the benchmark's gunicorn process: the app's own, plus the floor views.

Everything else (DEBUG off, PostgreSQL, Redis) comes from the environment that
bench/bench.py sets, exactly as in production.
"""

from __future__ import annotations

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS, MIDDLEWARE, REST_FRAMEWORK

ROOT_URLCONF = "bench.urls"
# The synthetic-archive generator (generate_archive) ships with the benchmark only.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
# Each response says how many queries it ran (X-Bench-Queries), so the query
# counts come from the very requests that are timed.
MIDDLEWARE = ["bench.middleware.query_count", *MIDDLEWARE]
# Keep the throttle (its cache round trip is part of a real request) but out of reach.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "1000000/min", "user": "1000000/min"},
}
