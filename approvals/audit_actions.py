"""The audit log's vocabulary: every action an event can record, and why accounts are revoked.

After Zulip's AuditLogEventType: one enumeration names every event, so a new event is one new
member here, the console can filter and label them, and `audit_event_record` refuses a typo.
The stored values are the dotted strings the log has always held, so no row changes.
"""

from __future__ import annotations

from django.db import models


class AuditAction(models.TextChoices):
    AUTH_LOGIN = "auth.login", "Signed in"
    AUTH_LOGOUT = "auth.logout", "Signed out"
    AUTH_LOGIN_FAILED = "auth.login_failed", "Failed sign-in"

    INSTALL_REQUEST_CREATE = "install_request.create", "Install requested"
    INSTALL_REQUEST_APPROVE = "install_request.approve", "Install request approved"
    INSTALL_REQUEST_DENY = "install_request.deny", "Install request denied"
    INSTALL_REQUEST_CANCEL = "install_request.cancel", "Install request cancelled"
    INTEGRATION_INSTALL = "integration.install", "Installed for team"
    INTEGRATION_UNINSTALL_FOR_TEAM = "integration.uninstall_for_team", "Uninstalled for team"
    INTEGRATION_UNINSTALL_FOR_ME = "integration.uninstall_for_me", "Uninstalled for self"

    MEMBERSHIP_CREATE = "membership.create", "Member added"
    MEMBERSHIP_CHANGE = "membership.change", "Member's role changed"
    MEMBERSHIP_DELETE = "membership.delete", "Member removed"

    USER_CREATE = "user.create", "User created"
    USER_CHANGE = "user.change", "User changed"
    USER_DELETE = "user.delete", "User deleted"

    ACCOUNT_CONNECT = "account.connect", "Account connected"
    ACCOUNT_CONNECT_REFUSED = "account.connect_refused", "Connection refused"
    ACCOUNT_NEEDS_RECONNECT = "account.needs_reconnect", "Account needs reconnect"
    ACCOUNT_REVOKE = "account.revoke", "Account revoked"
    ACCOUNT_PURGE = "account.purge", "Unused credentials deleted"
    ACCOUNT_PROVIDER_REVOKE_FAILED = "account.provider_revoke_failed", "Provider revocation failed"
    ACCOUNT_PROVIDER_REVOKE_ABANDONED = (
        "account.provider_revoke_abandoned", "Provider revocation abandoned"
    )

    NOTIFICATION_FAILED = "notification.failed", "E-mail not sent"

    JIRA_SERVER_REGISTER = "jira_server.register", "Jira Server registered"
    JIRA_SERVER_RECONNECT = "jira_server.reconnect", "Jira Server registered again"
    JIRA_SERVER_CHECK = "jira_server.check", "Jira compatibility checked"
    JIRA_SERVER_APPLINK_VERIFIED = "jira_server.applink_verified", "Application Link verified"
    JIRA_SERVER_APPLINK_VERIFY_FAILED = (
        "jira_server.applink_verify_failed", "Application Link verification failed"
    )
    JIRA_SERVER_APPLINK_REGISTER = "jira_server.applink_register", "Application Link registered"
    JIRA_SERVER_REMOVE = "jira_server.remove", "Jira Server removed"
    JIRA_SERVER_WEBHOOK_REGISTER = "jira_server.webhook_register", "Jira webhook registered"
    # Events written before linked tickets left the Jira package (cards.linked_tickets).
    JIRA_SERVER_ISSUE_LINK = "jira_server.issue_link", "Jira issue linked"

    TICKET_LINK_CREATE = "ticket_link.create", "Linked ticket created"


class RevocationReason(models.TextChoices):
    """Why an account's tokens were revoked: one reason per way of revoking."""

    DISCONNECT = "disconnect", "disconnected by its owner"
    UNINSTALL_FOR_ME = "uninstall_for_me", "its owner uninstalled the integration"
    UNINSTALL_FOR_TEAM = "uninstall_for_team", "uninstalled for the team"
    CONSOLE = "console", "revoked in the console"
    MEMBER_REMOVED = "member_removed", "its owner left the team"
