from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        # Celery's autodiscovery looks for integrations.tasks only; the worker must also know
        # the provider packages' tasks.
        from integrations.jira_server import tasks  # noqa: F401
