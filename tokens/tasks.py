"""Celery tasks of the account lifecycle: ids in, one service call, retries.

Arguments are row ids only, so no token reaches the broker, a result backend or a task log
line. Retryable provider errors (5xx, 429, timeouts) retry with full-jitter exponential
backoff, or after the provider's Retry-After for a 429. Run eagerly (the local trial and the
tests), a task does not retry in place: the beat jobs pick the work up again.
"""

from __future__ import annotations

import logging
import time

from celery import Task, shared_task
from celery.exceptions import Retry
from django.core.cache import cache

from config.observability.metrics import token_refresh_record
from integrations.errors import ApiError
from tokens import services
from tokens.conf import token_settings
from tokens.errors import AccountNeedsReconnect, TokenStoreBusy

logger = logging.getLogger(__name__)


def _retry(task: Task, error: ApiError) -> None:
    """Schedule the next try of a retryable error (raises celery.exceptions.Retry)."""
    if task.request.is_eager or task.request.retries >= token_settings.TOKEN_TASK_MAX_RETRIES:
        logger.warning("%s gave up after %s tries: %s", task.name, task.request.retries + 1,
                       type(error).__name__)
        return
    countdown = services.retry_delay(error, task.request.retries)
    raise task.retry(countdown=countdown, exc=error)


REFRESH_OUTCOMES = {"refreshed": "refreshed", "fresh": "fresh", "gone": "gone",
                    "needs_reconnect": "needs_reconnect", "failed": "error"}


@shared_task(bind=True, name="tokens.refresh_account", acks_late=True,
             reject_on_worker_lost=True, max_retries=None)
def refresh_account(self: Task, account_id: str, force: bool = False) -> str:
    """Refresh one account if it still expires within the window, or whatever its expiry with
    `force` (the console's "Refresh tokens now"), exactly once per token; each finished run
    counts its outcome in conduit_token_refreshes (a retry counts none, an unexpected
    exception counts as error)."""
    try:
        outcome = _refresh_account(self, account_id, force=force)
    except Retry:
        raise
    except Exception:
        token_refresh_record("error")
        raise
    token_refresh_record(REFRESH_OUTCOMES.get(outcome, "error"))
    return outcome


def _refresh_account(self: Task, account_id: str, *, force: bool) -> str:
    try:
        return services.account_refresh_by_id(account_id=account_id, force=force)
    except AccountNeedsReconnect:
        return "needs_reconnect"
    except TokenStoreBusy:
        if not self.request.is_eager and self.request.retries < token_settings.TOKEN_TASK_MAX_RETRIES:
            raise self.retry(countdown=services.backoff_seconds(self.request.retries)) from None
        return "failed"
    except ApiError as error:
        if error.retryable:
            _retry(self, error)
            return "failed"
        logger.warning("refresh of account %s refused: %s", account_id, type(error).__name__)
        return "failed"


# While the provider answers 429, every sweep chunk waits until this cache entry expires.
REFRESH_PAUSE_KEY = "tokens:refresh:paused-until"
PAUSE_CHECK_SECONDS = 1.0


def refresh_pause_remaining() -> float:
    """Seconds left of the pause a 429 asked for (0 when none)."""
    until = cache.get(REFRESH_PAUSE_KEY)
    return max(0.0, float(until) - time.time()) if until else 0.0


def _refresh_pause(seconds: float) -> None:
    cache.set(REFRESH_PAUSE_KEY, time.time() + seconds, timeout=max(1, int(seconds) + 1))


@shared_task(bind=True, name="tokens.refresh_accounts", acks_late=True,
             reject_on_worker_lost=True, max_retries=None)
def refresh_accounts(self: Task, account_ids: list[str]) -> dict[str, int]:
    """A sweep chunk: refresh its accounts in groups of TOKEN_REFRESH_BATCH_SIZE (exactly once
    per token, as refresh_account; see services.accounts_refresh_batch); how many of each
    outcome, each counted once in conduit_token_refreshes.

    Backpressure: when the provider answers 429, or another chunk was told to wait, the rest of
    the chunk is published again to run after the provider's Retry-After, and every chunk
    waits that long, instead of a fixed number of refreshes per minute. A retryable failure of
    one account becomes that account's own refresh_account task with its backoff.
    """
    outcomes: dict[str, int] = {}
    try:
        deferred, countdown = _refresh_groups(self, account_ids, outcomes)
    except Exception:
        outcomes["error"] = outcomes.get("error", 0) + 1
        raise
    finally:
        for outcome, count in outcomes.items():
            token_refresh_record(REFRESH_OUTCOMES.get(outcome, "error"), count)
    if deferred:
        refresh_accounts.apply_async(args=[deferred], countdown=countdown)
        outcomes["deferred"] = len(deferred)
    return outcomes


def _refresh_groups(task: Task, account_ids: list[str],
                    outcomes: dict[str, int]) -> tuple[list[str], float]:
    """refresh_accounts' groups, counting into `outcomes`; the rest of the chunk to publish
    again and after how many seconds (none when the chunk is done)."""
    pending = list(account_ids)
    size = max(1, int(token_settings.TOKEN_REFRESH_BATCH_SIZE))
    checked_at = float("-inf")
    while pending:
        # Another chunk's pause is read at most once a PAUSE_CHECK_SECONDS (a cache round trip
        # per account was a tenth of a refresh); this chunk's own 429 pauses it at once.
        pause = 0.0
        if time.monotonic() - checked_at >= PAUSE_CHECK_SECONDS:
            pause, checked_at = refresh_pause_remaining(), time.monotonic()
        if pause and not task.request.is_eager:
            return pending, pause
        group, pending = pending[:size], pending[size:]
        try:
            result = services.accounts_refresh_batch(account_ids=group)
        except TokenStoreBusy:
            outcomes["failed"] = outcomes.get("failed", 0) + len(group)
            if not task.request.is_eager:
                refresh_accounts.apply_async(args=[group], countdown=services.backoff_seconds(0))
            continue
        for account_id, error in result.failures.items():
            if error.retryable and not task.request.is_eager:
                refresh_account.apply_async(args=[account_id],
                                            countdown=services.retry_delay(error, 0))
            elif not error.retryable:
                logger.warning("refresh of account %s refused: %s", account_id,
                               type(error).__name__)
        for outcome in result.outcomes.values():
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        # A group calls at least one account, so the uncalled are fewer each time round.
        pending = result.uncalled + pending
        if result.rate_limited is not None:
            account_id, error = result.rate_limited
            if task.request.is_eager:
                outcomes["failed"] = outcomes.get("failed", 0) + 1  # the next beat run retries
                continue
            delay = services.retry_delay(error, 0)
            _refresh_pause(delay)
            return [account_id, *pending], delay
    return [], 0.0


def refresh_chunks_publish(chunks: list[list[str]]) -> None:
    """Publish one refresh_accounts message per chunk over one broker connection."""
    if refresh_accounts.app.conf.task_always_eager:
        for chunk in chunks:
            refresh_accounts.apply_async(args=[chunk])
        return
    with refresh_accounts.app.producer_or_acquire() as producer:
        for chunk in chunks:
            refresh_accounts.apply_async(args=[chunk], producer=producer)


@shared_task(name="tokens.refresh_expiring_accounts")
def refresh_expiring_accounts() -> int:
    """Beat: enqueue every account expiring within TOKEN_REFRESH_WINDOW_SECONDS, in chunks."""
    return services.accounts_refresh_expiring()


@shared_task(bind=True, name="tokens.send_revocation", acks_late=True,
             reject_on_worker_lost=True, max_retries=None)
def send_revocation(self: Task, revocation_id: str) -> str:
    """Revoke one queued token at the provider; retried with backoff while it fails."""
    delay = services.revocation_send(revocation_id=revocation_id)
    if delay is None:
        return "done"
    if not self.request.is_eager and self.request.retries < token_settings.TOKEN_TASK_MAX_RETRIES:
        raise self.retry(countdown=delay)
    return "pending"


@shared_task(name="tokens.send_due_revocations")
def send_due_revocations() -> int:
    """Beat: enqueue the provider revocations whose next try is due."""
    return services.revocations_send_due()


@shared_task(name="tokens.purge_unused_accounts")
def purge_unused_accounts() -> int:
    """Beat: retention, credentials unused for TOKEN_RETENTION_DAYS are deleted."""
    return services.accounts_purge_unused()
