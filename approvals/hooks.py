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


Notifier = Callable[..., None]
