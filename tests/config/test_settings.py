"""Production settings: deploy checks, CSP on every page (the admin's included), cookies, headers, secrets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import global_settings

import config.settings as site_settings
from cases.models import Case, Organization, Source
from evaluations.models import AuditEntry, EvaluationVersion, RubricVersion
from tests.support.accounts import PASSWORD
from tests.support.html_checks import unsafe_html

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # Not the test run's own defaults (tests/env_defaults.py): production's.
    ours = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "SECURE_SSL_REDIRECT", "STATIC_FROM_SOURCE"}
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DEBUG": "false",
            "SECRET_KEY": "a-production-like-secret-key-of-enough-length-and-entropy-7f3a9c2e1b",
            "ALLOWED_HOSTS": "moatwatch.example",
            "DATABASE_URL": "postgres://moatwatch@127.0.0.1:5432/moatwatch",
            "REDIS_URL": "redis://127.0.0.1:6379/4",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _debug_value(env: dict[str, str]) -> subprocess.CompletedProcess:
    code = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); "
    code += "from django.conf import settings; print(settings.DEBUG)"
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True)


def test_debug_is_off_by_default_and_only_the_demo_turns_it_on():
    assert _debug_value({"SECRET_KEY": "x" * 60}).stdout.strip() == "False"
    missing_key = _debug_value({})
    assert missing_key.returncode != 0 and "SECRET_KEY must be set" in missing_key.stderr
    assert 'export DEBUG="${DEBUG:-true}"' in (ROOT / "scripts" / "run").read_text()
    debug_on = re.compile(r"DEBUG=(true|1|on)\b(?!\s+python manage.py makemigrations)")  # that one needs no secret
    for script in (ROOT / ".ci" / "run", ROOT / "Dockerfile", ROOT / "Procfile"):
        if script.exists():
            assert not debug_on.search(script.read_text()), script


def test_no_secret_is_committed():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assignment = re.compile(r"""SECRET_KEY["']?\s*[=:,]\s*["']([^"']{16,})["']""")
    private_key = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}|xox[bp]-[0-9A-Za-z-]{10,}")
    # The only literal keys allowed say what they are (local development with DEBUG on, tests),
    # or are generated where they are used (a shell's `$(...)`).
    allowed = re.compile(r"insecure|test-only|production-like|example|\$\(")
    found = []
    for name in files:
        path = ROOT / name
        if name.startswith(".env") and name not in {".env.example"}:
            found.append(f"{name}: an environment file is committed")
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        found += [f"{name}: {m.group(1)[:12]}..." for m in assignment.finditer(text) if not allowed.search(m.group(1))]
        if name != "tests/config/test_settings.py":
            found += [f"{name}: key material" for _ in private_key.finditer(text)]
    assert not found, found


def test_security_headers_and_cookies(client, admin_user, settings):
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "includeSubDomains" in response["Strict-Transport-Security"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    login = client.get("/accounts/login/", secure=True)
    assert login.cookies["csrftoken"]["secure"] and login.cookies["csrftoken"]["httponly"]
    signed_in = client.post("/accounts/login/", {"username": "admin", "password": PASSWORD}, secure=True)
    assert signed_in.status_code == 302
    assert signed_in.cookies["sessionid"]["secure"] and signed_in.cookies["sessionid"]["httponly"]
    assert signed_in.cookies["sessionid"]["samesite"] == "Lax"


def _assert_strict_csp(response) -> None:
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'", policy
    assert directives["style-src"] == "'self'", policy
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_reader_pages_have_a_strict_csp_and_no_inline_script(client, demo):
    case = Case.objects.filter(status="published").first()
    organization = Organization.objects.first()
    for url in ["/", f"/cases/{case.slug}/", f"/organizations/{organization.slug}/", "/accounts/login/", "/nope/"]:
        response = client.get(url)
        assert response.status_code in {200, 404}, url
        _assert_strict_csp(response)
        assert unsafe_html(response.content.decode()) == [], url


def test_admin_pages_have_a_strict_csp_and_no_inline_script(client, demo, admin_user):
    version = EvaluationVersion.objects.filter(state="published").first()
    urls = [
        "/admin/login/",
        "/admin/",
        "/admin/cases/case/",
        f"/admin/cases/case/{version.case_id}/change/",
        f"/admin/cases/case/{version.case_id}/history/",
        "/admin/cases/organization/add/",  # prepopulated slug: the admin passes constants as JSON
        f"/admin/cases/source/{Source.objects.first().pk}/change/",
        "/admin/evaluations/rubricversion/",
        f"/admin/evaluations/rubricversion/{RubricVersion.objects.first().pk}/change/",
        f"/admin/evaluations/evaluationversion/{version.pk}/change/",
        f"/admin/evaluations/auditentry/{AuditEntry.objects.first().pk}/change/",
        "/admin/evaluations/risksummary/",
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        f"/admin/auth/user/{admin_user.pk}/password/",
        "/admin/auth/group/",
        "/admin/password_change/",
    ]
    for url in urls:
        if url != "/admin/login/":
            client.force_login(admin_user)
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_strict_csp(response)
        # Django's admin still writes a few style="" attributes; style-src 'self' makes the
        # browser ignore them (cosmetic). Script is what must never run inline.
        assert unsafe_html(response.content.decode(), allow_style_attributes=True) == [], url


def test_the_site_hashes_passwords_with_djangos_defaults():
    """The tests sign in with a fast hasher (tests/conftest.py); the site itself keeps PBKDF2 first."""
    assert not hasattr(site_settings, "PASSWORD_HASHERS")
    assert global_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"


def test_celery_survives_lost_workers_and_long_tasks(settings):
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > settings.CELERY_TASK_TIME_LIMIT
    bad = _debug_value({"SECRET_KEY": "x" * 60, "CELERY_TASK_TIME_LIMIT": "900", "CELERY_VISIBILITY_TIMEOUT": "600"})
    assert bad.returncode != 0 and "CELERY_VISIBILITY_TIMEOUT must be longer" in bad.stderr
