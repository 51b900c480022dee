"""Email settings from the environment: console on the embedded default, SMTP in production, loud errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT = (
    "import django; django.setup(); from django.conf import settings; print(__import__('json').dumps(settings.MAILERS))"
)


def mailer(**env) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    environment.update({"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "x" * 50, **env})
    result = subprocess.run(
        [sys.executable, "-c", PRINT], cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise RuntimeError(result.stderr.strip().splitlines()[-1])
    return json.loads(result.stdout)["default"]


def test_the_embedded_default_prints_mail():
    assert mailer(DEBUG="true")["BACKEND"].endswith("console.EmailBackend")


def test_production_sends_by_smtp_with_starttls_to_the_configured_host():
    config = mailer(DEBUG="false", EMAIL_HOST="smtp.example.org", EMAIL_HOST_USER="u", EMAIL_HOST_PASSWORD="p")
    assert config["BACKEND"].endswith("smtp.EmailBackend")
    assert config["OPTIONS"] == {
        "host": "smtp.example.org",
        "port": 587,
        "username": "u",
        "password": "p",
        "use_tls": True,
        "use_ssl": False,
        "timeout": 10,
    }
    ssl = mailer(DEBUG="false", EMAIL_HOST="smtp.example.org", EMAIL_USE_SSL="true")["OPTIONS"]
    assert (ssl["port"], ssl["use_ssl"], ssl["use_tls"]) == (465, True, False)


def test_production_without_a_host_uses_a_local_mail_server():
    assert mailer(DEBUG="false")["OPTIONS"]["host"] == "localhost"


@pytest.mark.parametrize(
    "env,message",
    [
        ({"EMAIL_BACKEND": "pigeon"}, "EMAIL_BACKEND must be console, smtp or file"),
        ({"EMAIL_HOST": "h", "EMAIL_USE_TLS": "true", "EMAIL_USE_SSL": "true"}, "cannot both be on"),
        ({"EMAIL_HOST": "h", "EMAIL_PORT": "smtp"}, "EMAIL_PORT must be an integer"),
    ],
)
def test_bad_values_stop_the_process_with_the_variable_named(env, message):
    with pytest.raises(RuntimeError, match=message):
        mailer(DEBUG="true", **env)
