"""The tokens app's options, with their defaults, as one settings object (config.app_settings).

`token_settings.NAME` reads `django.conf.settings.NAME` when set (config/settings.py reads
TOKEN_RETENTION_DAYS and TOKEN_REFRESH_WINDOW_SECONDS from the environment) and `DEFAULTS[NAME]`
otherwise; nothing is cached, so `override_settings` in tests takes effect at once.
"""

from __future__ import annotations

from typing import Any

from config.app_settings import AppSettings

DEFAULTS: dict[str, Any] = {
    # Retention: credentials unused for this many days are deleted; the user reconnects.
    "TOKEN_RETENTION_DAYS": 7,
    # The beat job refreshes accounts whose access token expires within this window.
    "TOKEN_REFRESH_WINDOW_SECONDS": 600,
    # A call refreshes first when the token expires within this margin (clock skew, latency).
    "TOKEN_REFRESH_MARGIN_SECONDS": 60,
    # An invalid_grant after a refresh whose answer was lost is asked again after this pause.
    "TOKEN_REFRESH_RECHECK_DELAY_SECONDS": 0.5,
    # The sweep enqueues every expiring account, in chunks (one message each) sized so that each
    # of TOKEN_REFRESH_WORKERS worker processes gets about TOKEN_REFRESH_CHUNKS_PER_WORKER
    # chunks, never more than TOKEN_REFRESH_CHUNK_MAX accounts in one.
    "TOKEN_REFRESH_WORKERS": 4,
    "TOKEN_REFRESH_CHUNKS_PER_WORKER": 4,
    "TOKEN_REFRESH_CHUNK_MAX": 100,
    # A chunk refreshes its accounts in groups of at most this many, each two transactions
    # (the attempts recorded, then the calls and their writes) instead of two per account.
    "TOKEN_REFRESH_BATCH_SIZE": 25,
    # A group holds its rows locked while it calls the provider: it stops calling once its calls
    # took this long, and the accounts not called yet go to the next group.
    "TOKEN_REFRESH_BATCH_SECONDS": 2.0,
    # An account the sweep queued is not queued again for this long (its message is waiting
    # behind a backlog); after it, a message taken as lost is replaced. Below the window.
    "TOKEN_REFRESH_REQUEUE_SECONDS": 300,
    # last_used_at is written at most once per this many seconds per account (retention counts
    # days), so a 10-page import is one UPDATE, not ten.
    "TOKEN_LAST_USED_RESOLUTION_SECONDS": 60,
    # The account a provider call uses is kept this long per process (tokens.account_cache; 0
    # turns it off); another process's change to it is seen within the generation check.
    "TOKEN_ACCOUNT_CACHE_SECONDS": 10,
    "TOKEN_ACCOUNT_GENERATION_CHECK_SECONDS": 1.0,
    # Lifetime of the `state` (and PKCE verifier) kept in the session during a connect flow.
    "TOKEN_STATE_LIFETIME_SECONDS": 600,
    # Retries of refresh and revocation tasks: full-jitter exponential backoff (seconds).
    "TOKEN_RETRY_BACKOFF_BASE": 2.0,
    # Below the broker's visibility timeout (CELERY_VISIBILITY_TIMEOUT_SECONDS, 300 s): a retry's
    # countdown is held unacknowledged by the worker until it is due.
    "TOKEN_RETRY_BACKOFF_MAX": 240.0,
    "TOKEN_TASK_MAX_RETRIES": 6,
    # A provider revocation that keeps failing is abandoned (and audited) after this many tries.
    "TOKEN_REVOCATION_MAX_ATTEMPTS": 8,
}


token_settings = AppSettings("tokens", DEFAULTS)
