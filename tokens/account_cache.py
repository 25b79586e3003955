"""The account a provider call uses, kept per process for a few seconds (config.process_cache).

Every unfurl, import and card edit starts by reading the user's account and whether the team
has the integration installed (tokens.selectors.account_for_call): one PostgreSQL round trip
that cost a third of an unfurl beyond its provider call (bench P1). A burst of actions by one
person reads it once.

What a kept account may miss, and for how long:
- A change that decides whether the account may be used (a disconnect, a revocation, a
  needs_reconnect mark, an uninstall, a new connection, a key rotation) is a save, a delete or
  a queryset update of ConnectedAccount or Installation: it drops the kept accounts of the
  process that made it at once and of every other process within
  TOKEN_ACCOUNT_GENERATION_CHECK_SECONDS (1 s). A kept account is used
  TOKEN_ACCOUNT_CACHE_SECONDS (10 s) at most.
- A refresh (raw SQL in tokens.services.refresh_rows) drops the refreshed account in its own
  process only: the token it replaces stays valid until it expires, and a kept account whose
  token is about to expire (or is refused with a 401) is refreshed under the row lock, which
  re-reads the row and uses the token found there.
- last_used_at and refresh_queued_at decide nothing for a caller; last_used_at is written on
  the kept account too, so it is written once per TOKEN_LAST_USED_RESOLUTION_SECONDS.
The kept value is the row as read, its secrets still sealed; each call gets its own copy.
"""

from __future__ import annotations

import copy
from typing import Any

from config.process_cache import ProcessCache
from tokens.conf import token_settings

GENERATION_KEY = "conduit:connected-accounts:generation"
# Columns that no caller decides on: a queryset update of only these drops nothing.
UNWATCHED_COLUMNS = frozenset({"last_used_at", "refresh_queued_at"})

accounts = ProcessCache(
    generation_key=GENERATION_KEY, copy=copy.copy,
    seconds=lambda: token_settings.TOKEN_ACCOUNT_CACHE_SECONDS,
    check_seconds=lambda: token_settings.TOKEN_ACCOUNT_GENERATION_CHECK_SECONDS,
)


def account_key(*, user_id: Any, team_id: Any, integration: str) -> tuple[str, str, str]:
    return str(user_id), str(team_id), integration


def account_used(account: Any, when: Any) -> None:
    """last_used_at as just written, on the kept account too."""
    key = account_key(user_id=account.user_id, team_id=account.team_id,
                      integration=account.integration)
    accounts.update_kept(key, lambda kept: setattr(kept, "last_used_at", when))


def account_refreshed(account: Any) -> None:
    """This process's kept copy of a refreshed account is dropped (see the module's docstring
    for why the others are not)."""
    accounts.forget(account_key(user_id=account.user_id, team_id=account.team_id,
                                integration=account.integration))


def rows_updated(columns: Any) -> None:
    """A queryset update of ConnectedAccount rows (tokens.models.ConnectedAccountQuerySet)."""
    if not set(columns) <= UNWATCHED_COLUMNS:
        accounts.changed()


def _changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if update_fields and set(update_fields) <= UNWATCHED_COLUMNS:
        return
    accounts.changed()


def connect_invalidation() -> None:
    """Drop the kept accounts on every save or delete of an account or an installation (called
    from tokens.apps)."""
    from django.db.models.signals import post_delete, post_save

    from approvals.models import Installation
    from tokens.models import ConnectedAccount

    for model in (ConnectedAccount, Installation):
        post_save.connect(_changed, sender=model, dispatch_uid=f"account-cache-{model.__name__}")
        post_delete.connect(_changed, sender=model,
                            dispatch_uid=f"account-cache-{model.__name__}-deleted")
