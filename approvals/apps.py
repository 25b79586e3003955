from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ApprovalsConfig(AppConfig):
    default = True
    name = "approvals"
    verbose_name = "Governance"

    def ready(self) -> None:
        from approvals import signals  # noqa: F401 - connects the audit receivers
        from approvals.audit import audit_event_record
        from approvals.selectors import is_team_admin
        from integrations.providers.platform import platform_register

        # Provider packages (Jira's console services) audit and check admins through these.
        platform_register(audit=audit_event_record, is_team_admin=is_team_admin)


class ConduitAdminConfig(admin_apps.AdminConfig):
    """The Django admin, served by the governance console's site."""

    default = False

    default_site = "approvals.admin_site.ConduitAdminSite"
