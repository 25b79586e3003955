from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Governance"

    def ready(self) -> None:
        from approvals import signals  # noqa: F401 - connects the audit receivers
