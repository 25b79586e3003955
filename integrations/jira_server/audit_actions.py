"""The audit actions of the Jira Server console and linked issues, declared in the manifest so
the audit log accepts, labels and reads them without an edit of approvals' AuditAction. The
stored values are the ones the log has always held."""

from __future__ import annotations

from integrations.providers import AuditActionSpec

AUDIT_ACTIONS = (
    AuditActionSpec("jira_server.register", "Jira Server registered",
                    "{actor} registered {target} for {team}"),
    AuditActionSpec("jira_server.reconnect", "Jira Server registered again",
                    "{actor} registered {target} again for {team}"),
    AuditActionSpec("jira_server.check", "Jira compatibility checked",
                    "{actor} checked the compatibility of {target}"),
    AuditActionSpec("jira_server.applink_verified", "Application Link verified",
                    "{actor} verified the Application Link of {target}"),
    AuditActionSpec("jira_server.applink_verify_failed", "Application Link verification failed",
                    "{actor} tried to verify the Application Link of {target}; it failed"),
    AuditActionSpec("jira_server.applink_register", "Application Link registered",
                    "{actor} registered the Application Link in {target}"),
    AuditActionSpec("jira_server.remove", "Jira Server removed",
                    "{actor} removed {target} from {team}"),
    AuditActionSpec("jira_server.webhook_register", "Jira webhook registered",
                    "{actor} registered Jira's webhook on {target}"),
    AuditActionSpec("jira_server.issue_link", "Jira issue linked", "{actor} linked {target}"),
)
