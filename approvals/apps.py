from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ApprovalsConfig(AppConfig):
    default = True
    name = "approvals"
    verbose_name = "Governance"

    def ready(self) -> None:
        from approvals import signals  # noqa: F401 - connects the audit receivers


class ConduitAdminConfig(admin_apps.AdminConfig):
    """The Django admin, served by the governance console's site."""

    default = False

    default_site = "approvals.admin_site.ConduitAdminSite"
