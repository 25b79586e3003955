"""Writing audit events: one function, so every event has the same shape."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from approvals.audit_actions import AuditAction, audit_action_check
from approvals.models import AuditEvent, Team

# Metadata keys that must never reach the audit log, whatever a caller passes.
FORBIDDEN_METADATA = frozenset(
    {"access_token", "refresh_token", "token", "token_secret", "client_secret", "code",
     "password", "secret", "private_key", "oauth_token_secret", "state"}
)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client address, trusting exactly NUM_PROXIES proxies in X-Forwarded-For."""
    if request is None:
        return None
    proxies = settings.NUM_PROXIES
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def audit_changes(**values: tuple[Any, Any]) -> dict[str, list[Any]]:
    """`field=(old, new)` pairs as the log stores them, keeping only what changed."""
    return {name: [old, new] for name, (old, new) in values.items() if old != new}


def audit_event_record(
    *,
    action: AuditAction | str,
    actor=None,
    target: str = "",
    team: Team | None = None,
    source_ip: str | None = None,
    metadata: dict[str, Any] | None = None,
    changes: dict[str, list[Any]] | None = None,
) -> AuditEvent:
    """Write one event. `action` must be an AuditAction or an action an enabled provider's
    manifest declares (a plain string is checked: ValueError for an unknown one); `changes` holds `field: [old, new]` (audit_changes);
    metadata keys that could hold a secret are dropped, whatever a caller passes."""
    value = audit_action_check(action)
    clean = {
        key: value
        for key, value in (metadata or {}).items()
        if key.lower() not in FORBIDDEN_METADATA
    }
    if changes:
        clean["changes"] = changes
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=getattr(actor, "username", "") or "",
        action=value,
        target=str(target)[:255],
        team=team,
        source_ip=source_ip,
        metadata=clean,
    )
