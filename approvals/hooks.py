"""Extension points other apps fill in: approvals knows nothing of tokens.

`tokens` registers a revoker in its AppConfig.ready(); uninstall services call every registered
revoker inside their transaction, so local credentials go away atomically with the installation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class AccountRevoker(Protocol):
    def __call__(self, *, team: Any, integration: str, user: Any | None, acting_user: Any,
                 reason: str) -> int: ...


account_revokers: list[AccountRevoker] = []


def register_account_revoker(revoker: AccountRevoker) -> AccountRevoker:
    if revoker not in account_revokers:
        account_revokers.append(revoker)
    return revoker


def revoke_accounts(*, team: Any, integration: str, user: Any | None, acting_user: Any,
                    reason: str) -> int:
    """Revoke the accounts of the team (user=None) or of one user; returns how many."""
    revoked = 0
    for revoker in account_revokers:
        revoked += revoker(team=team, integration=integration, user=user,
                           acting_user=acting_user, reason=reason)
    return revoked


AccountHolders = Callable[..., list[str]]
account_holder_listers: list[AccountHolders] = []


def register_account_holders(lister: AccountHolders) -> AccountHolders:
    """`lister(team=..., integration=...)` names the people whose accounts an uninstall for
    the team would revoke (the confirmation page says how many and who)."""
    if lister not in account_holder_listers:
        account_holder_listers.append(lister)
    return lister


def account_holders(*, team: Any, integration: str) -> list[str]:
    return sorted({name for lister in account_holder_listers
                   for name in lister(team=team, integration=integration)})


class MemberLeavingHandler(Protocol):
    def __call__(self, *, team: Any, user: Any, acting_user: Any) -> None: ...


member_leaving_handlers: list[MemberLeavingHandler] = []


def register_member_leaving(handler: MemberLeavingHandler) -> MemberLeavingHandler:
    """`handler` runs when a member is about to be removed from a team, before their accounts
    are revoked, so it can still use them (cards hands the member's webhook subscriptions over
    to another connected member, or deletes them at the provider)."""
    if handler not in member_leaving_handlers:
        member_leaving_handlers.append(handler)
    return handler


def member_leaving(*, team: Any, user: Any, acting_user: Any) -> None:
    for handler in member_leaving_handlers:
        handler(team=team, user=user, acting_user=acting_user)


ConsolePanel = Callable[..., dict | None]
console_panels: list[ConsolePanel] = []


def register_console_panel(panel: ConsolePanel) -> ConsolePanel:
    """`panel(teams=...)` returns {"template": ..., **context} for a section of the console
    home (teams=None: every team), or None to show nothing; tokens adds the connections'
    health and the revocations waiting for a retry this way."""
    if panel not in console_panels:
        console_panels.append(panel)
    return panel
