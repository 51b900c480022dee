from __future__ import annotations

from importlib import import_module

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate

from evaluations.roles import groups_ensure


def _groups_after_migrate(sender, using: str = "default", **kwargs) -> None:
    # Also runs after `flush` (tests empty the database between transactional tests).
    groups_ensure(apps)


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = "Evaluations"

    def ready(self) -> None:
        post_migrate.connect(_groups_after_migrate, sender=self, dispatch_uid="evaluations-groups")
        # Register the tasks (and their beat schedule) in every process, not only in
        # workers: the services queue them by name (evaluations.queue).
        import_module(f"{self.name}.tasks")
