from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Plumbing every edge shares (API errors, throttling, sign-in, text limits); imports no domain app."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core import credentials

        credentials.connect()
