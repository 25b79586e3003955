"""The audit log's vocabulary: every action an event can record, and why accounts are revoked.

After Zulip's AuditLogEventType: one enumeration names Conduit's own events, so a new event is
one new member here. A provider's own events (Jira's registration, checks, links) are declared
by its manifest (`ProviderManifest.audit_actions`), so adding a provider edits nothing here;
`audit_actions()` is both together, which the console filters and labels by and
`audit_event_record` checks (it refuses a typo). The stored values are the dotted strings the
log has always held.
"""

from __future__ import annotations

from django.db import models

from integrations.providers import AuditActionSpec, all_providers


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

    TEAM_CREATE = "team.create", "Team created"
    TEAM_CHANGE = "team.change", "Team changed"

    TICKET_LINK_CREATE = "ticket_link.create", "Linked ticket created"


class RevocationReason(models.TextChoices):
    """Why an account's tokens were revoked: one reason per way of revoking."""

    DISCONNECT = "disconnect", "disconnected by its owner"
    UNINSTALL_FOR_ME = "uninstall_for_me", "its owner uninstalled the integration"
    UNINSTALL_FOR_TEAM = "uninstall_for_team", "uninstalled for the team"
    CONSOLE = "console", "revoked in the console"
    MEMBER_REMOVED = "member_removed", "its owner left the team"


def _core() -> dict[str, AuditActionSpec]:
    return {value: AuditActionSpec(value, str(label)) for value, label in AuditAction.choices}


def audit_actions() -> dict[str, AuditActionSpec]:
    """Every action the log accepts: Conduit's own, then each enabled provider's (read from
    the registry at each call, so a settings override that enables a provider counts)."""
    actions = _core()
    for provider in all_providers():
        for spec in provider.manifest.audit_actions:
            actions.setdefault(spec.value, spec)
    return actions


def audit_action_check(action: AuditAction | str) -> str:
    """The stored value of a known action; ValueError for any other string."""
    value = action.value if isinstance(action, AuditAction) else str(action)
    if value not in audit_actions():
        raise ValueError(f"{value!r} is not an audit action")
    return value


def audit_action_label(value: str) -> str:
    """The console's label of a stored action (the value itself for one no longer known, e.g.
    of a provider since disabled)."""
    spec = audit_actions().get(value)
    return spec.label if spec is not None else value
