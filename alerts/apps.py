from importlib import import_module

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "alerts"
    verbose_name = "Email alerts"

    def ready(self) -> None:
        # Register the tasks (and their beat schedule) in every process: the services queue them by name.
        import_module(f"{self.name}.tasks")
