"""The connected-account lifecycle: connect, refresh and use, revocation, retention.

Every service that changes governed state (connect, revoke, purge) runs in `transaction.atomic`,
takes the keyword-only `acting_user` where a person acts, writes its audit event in the same
transaction and enqueues provider work on commit. Tasks receive row ids, never tokens.
Provider calls go through the `Provider` protocol only (integrations/providers.py).

One module per concept; this package re-exports the public services, so callers keep
importing `tokens.services`.
"""

from tokens.services.common import backoff_seconds, retry_delay
from tokens.services.connect import (
    account_connect_finish,
    account_connect_prepare,
    account_connect_refused,
    account_connect_start,
)
from tokens.services.refresh import (
    account_call,
    account_credentials,
    account_refresh,
    account_refresh_by_id,
)
from tokens.services.retention import accounts_purge_unused
from tokens.services.revocation import (
    account_revoke,
    accounts_revoke_for,
    revocation_send,
    revocations_send_due,
)
from tokens.services.sweep import (
    accounts_refresh_batch,
    accounts_refresh_expiring,
    accounts_refresh_now,
    refresh_chunk_size,
)

__all__ = [
    "account_call",
    "account_connect_finish",
    "account_connect_prepare",
    "account_connect_refused",
    "account_connect_start",
    "account_credentials",
    "account_refresh",
    "account_refresh_by_id",
    "account_revoke",
    "accounts_purge_unused",
    "accounts_refresh_batch",
    "accounts_refresh_expiring",
    "accounts_refresh_now",
    "accounts_revoke_for",
    "backoff_seconds",
    "refresh_chunk_size",
    "retry_delay",
    "revocation_send",
    "revocations_send_due",
]
