"""What the apps lend provider packages, registered at start-up: a provider package imports
nothing from `approvals` or `tokens`, yet its console services (Jira's server registration)
must check a team admin, write an audit event and call the provider with a person's account.

`approvals` registers the audit writer and the team-admin check, `tokens` the account call, in
their AppConfig.ready() (the way tokens fills approvals.hooks). The audit event is written by
approvals' own `audit_event_record`, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PLATFORM_NOT_READY = "The {name} hook is not registered yet (the apps are not ready)."


class NoAccount(LookupError):
    """The person has no usable account for the integration in the team."""


_hooks: dict[str, Callable[..., Any]] = {}


def platform_register(**hooks: Callable[..., Any]) -> None:
    """`audit=`, `is_team_admin=`, `account_call=`: the apps' implementations."""
    _hooks.update(hooks)


def _hook(name: str) -> Callable[..., Any]:
    try:
        return _hooks[name]
    except KeyError:
        raise RuntimeError(PLATFORM_NOT_READY.format(name=name)) from None


def audit(*, action: str, actor: Any, target: str, team: Any, source_ip: str | None,
          metadata: dict[str, Any]) -> None:
    """Write one audit event (approvals.audit.audit_event_record): `action` must be one the
    provider's manifest declares."""
    _hook("audit")(action=action, actor=actor, target=target, team=team, source_ip=source_ip,
                   metadata=metadata)


def is_team_admin(*, user: Any, team: Any) -> bool:
    return bool(_hook("is_team_admin")(user=user, team=team))


def account_call(*, user: Any, team: Any, integration: str, call: Callable[[Any], Any]) -> Any:
    """Run `call(credentials)` with the person's own account (tokens refreshes as needed);
    NoAccount when they have none with credentials."""
    return _hook("account_call")(user=user, team=team, integration=integration, call=call)
