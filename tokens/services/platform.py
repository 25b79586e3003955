"""The account call tokens lends provider packages (integrations.providers.platform)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integrations.providers.platform import NoAccount
from tokens import selectors
from tokens.services.refresh import account_call


def account_call_for(*, user: Any, team: Any, integration: str,
                     call: Callable[[Any], Any]) -> Any:
    """`call(credentials)` with the person's own account in the team; NoAccount when they
    have none holding credentials."""
    account = selectors.account_get(user=user, team=team, integration=integration)
    if account is None or not account.has_credentials:
        raise NoAccount(integration)
    return account_call(account=account, call=call)
