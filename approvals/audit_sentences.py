"""Audit events as sentences people read: "ada approved Asana for Demo Team"."""

from __future__ import annotations

from typing import Any

from approvals.audit_actions import AuditAction, RevocationReason, audit_actions
from approvals.catalog import Plan, catalog_entry
from approvals.models import AuditEvent, Membership

A = AuditAction
SENTENCES: dict[str, str] = {
    A.AUTH_LOGIN: "{actor} signed in",
    A.AUTH_LOGOUT: "{actor} signed out",
    A.AUTH_LOGIN_FAILED: "Failed sign-in as {target}",
    A.INSTALL_REQUEST_CREATE: "{actor} asked for {integration} in {team}",
    A.INSTALL_REQUEST_APPROVE: "{actor} approved {integration} for {team}",
    A.INSTALL_REQUEST_DENY: "{actor} denied {integration} for {team}: “{reason}”",
    A.INSTALL_REQUEST_CANCEL: "{actor} withdrew the request for {integration} in {team}",
    A.INTEGRATION_INSTALL: "{actor} installed {integration} for {team}",
    A.INTEGRATION_UNINSTALL_FOR_TEAM:
        "{actor} uninstalled {integration} for {team}, revoking {revoked_accounts} account(s)",
    A.INTEGRATION_UNINSTALL_FOR_ME: "{actor} stopped using {integration} in {team}",
    A.MEMBERSHIP_CREATE: "{actor} added {target} to {team} as {role}",
    A.MEMBERSHIP_CHANGE: "{actor} changed {target}'s membership of {team}",
    A.MEMBERSHIP_DELETE: "{actor} removed {target} ({role}) from {team}",
    A.USER_CREATE: "{actor} created the user {target}",
    A.USER_CHANGE: "{actor} changed the user {target}",
    A.USER_DELETE: "{actor} deleted the user {target}",
    A.ACCOUNT_CONNECT: "{actor} connected {target}",
    A.ACCOUNT_CONNECT_REFUSED: "{integration} connection of {actor} refused ({reason})",
    A.ACCOUNT_NEEDS_RECONNECT: "{target} needs to be reconnected ({reason})",
    A.ACCOUNT_REVOKE: "{actor} revoked {target}: {reason}",
    A.ACCOUNT_PURGE: "Deleted the credentials of {target}, unused for {retention_days} days",
    A.ACCOUNT_PROVIDER_REVOKE_FAILED:
        "{integration} did not confirm the revocation of {target} (try {attempt}: {error})",
    A.ACCOUNT_PROVIDER_REVOKE_ABANDONED:
        "Gave up revoking {target} at {integration} after {attempt} tries ({error})",
    A.NOTIFICATION_FAILED: "E-mail “{subject}” to {recipients} could not be sent ({error})",
    A.TEAM_CREATE: "{actor} created the team {target}",
    A.TEAM_CHANGE: "{actor} changed the team {target}",
    A.TICKET_LINK_CREATE: "{actor} created the linked ticket {target}",
}
ROLE_LABELS = dict(Membership.Role.choices)
REASON_LABELS = dict(RevocationReason.choices)
PLAN_LABELS = dict(Plan.choices)


def _provider_sentence(action: str) -> str:
    spec = audit_actions().get(action)
    return spec.sentence if spec is not None else ""


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def _value(name: str, value: Any) -> str:
    if name == "role":
        return str(ROLE_LABELS.get(value, value))
    if name == "plan" and value:
        return str(PLAN_LABELS.get(value, value))
    return "—" if value in (None, "") else str(value)


def audit_changes_text(event: AuditEvent) -> str:
    """"role: Member → Team admin; …" from the event's recorded changes, or ""."""
    changes = (event.metadata or {}).get("changes") or {}
    return "; ".join(
        f"{name.replace('_', ' ')}: {_value(name, pair[0])} → {_value(name, pair[1])}"
        for name, pair in changes.items()
        if isinstance(pair, list | tuple) and len(pair) == 2
    )


def audit_sentence(event: AuditEvent) -> str:
    """The event as one sentence, with its changes (old → new) when it recorded any.

    Reads only the event row and its team (select_related("team") in lists)."""
    metadata = event.metadata or {}
    integration = metadata.get("integration", "")
    entry = catalog_entry(integration) if integration else None
    values = _Blank(
        {key: value for key, value in metadata.items() if isinstance(value, str | int)}
    )
    values.update(
        actor=event.actor_label or "Conduit",
        target=event.target or "?",
        team=event.team.name if event.team_id and event.team else "no team",
        integration=entry.name if entry else (integration or "an integration"),
        role=_value("role", metadata.get("role", "")),
        reason=REASON_LABELS.get(metadata.get("reason"), metadata.get("reason") or "no reason"),
    )
    if isinstance(metadata.get("revoked_accounts"), list):
        values["revoked_accounts"] = len(metadata["revoked_accounts"])
    if isinstance(metadata.get("recipients"), list):
        values["recipients"] = ", ".join(map(str, metadata["recipients"]))
    template = SENTENCES.get(event.action) or _provider_sentence(event.action) or (
        "{actor}: " + event.get_action_display().replace("{", "{{").replace("}", "}}")
        + " {target}")
    sentence = template.format_map(values)
    changes = audit_changes_text(event)
    return f"{sentence} ({changes})" if changes else sentence
