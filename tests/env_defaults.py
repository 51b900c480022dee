"""Loaded before Django (``-p tests.env_defaults``): defaults for a test run.

Anything already set in the environment wins, so the same suite runs on
SQLite by default and on PostgreSQL and Redis when CI sets DATABASE_URL and
REDIS_URL.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("STATIC_FROM_SOURCE", "true")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Not the test client's host: links must come from SITE_URL, never from the Host header.
os.environ.setdefault("SITE_URL", "https://moatwatch.example")
