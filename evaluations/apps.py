from __future__ import annotations

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _groups_after_migrate(sender, using: str = "default", **kwargs) -> None:
    # Also runs after `flush` (tests empty the database between transactional tests).
    from evaluations.roles import groups_ensure

    groups_ensure(apps)


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = "Evaluations"

    def ready(self) -> None:
        post_migrate.connect(_groups_after_migrate, sender=self, dispatch_uid="evaluations-groups")
