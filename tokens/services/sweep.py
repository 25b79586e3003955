"""The beat's refresh sweep: every account expiring within the window, enqueued in chunks, each
chunk refreshed in groups of accounts with two transactions per group; and the console's
"Refresh tokens now". Each account keeps tokens.services.refresh's guarantees."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import DatabaseError, OperationalError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from integrations.errors import ApiError, ApiRateLimited
from integrations.providers import TokenSet
from tokens import errors, selectors
from tokens.conf import token_settings
from tokens.models import ConnectedAccount
from tokens.services import refresh_rows
from tokens.services.common import Status
from tokens.services.refresh import (
    expires_within,
    failed_values,
    refresh_attempt,
    refreshed_values,
    stored_access_token,
    stored_secret,
)


@dataclass
class BatchResult:
    """What accounts_refresh_batch did with its group.

    `outcomes`: each account done with, by id: "refreshed", "fresh", "gone", "needs_reconnect"
    or "failed" (its error in `failures`). `uncalled`: the accounts left for another group, in
    their order (the time budget ran out, or the provider answered 429), each as it was before
    this group. `rate_limited`: the account answered 429 and the answer, its failure counted.
    """

    outcomes: dict[str, str] = field(default_factory=dict)
    failures: dict[str, ApiError] = field(default_factory=dict)
    uncalled: list[str] = field(default_factory=list)
    rate_limited: tuple[str, ApiRateLimited] | None = None


class _Seen(NamedTuple):
    """An account as the first lock of its group found it."""

    access_token: Any  # the stored ciphertext: the token to replace
    attempt: datetime | None  # refresh_attempt_started_at before this group recorded its own


def accounts_refresh_batch(*, account_ids: list[str]) -> BatchResult:
    """The sweep's refresh of a group of accounts (at most TOKEN_REFRESH_BATCH_SIZE) expiring
    within TOKEN_REFRESH_WINDOW_SECONDS, with the guarantees of account_refresh_by_id for each
    and two transactions for the whole group instead of two per account.

    1. The group's rows are locked in the order of their ids (so two groups never deadlock),
    those still due get their attempt recorded in one UPDATE, committed before any call: a
    killed process loses no account. 2. The due rows are locked again; each that still holds
    the token seen in 1 (the interactive account_refresh takes the same row lock: otherwise
    another caller refreshed it, "fresh") is refreshed in turn, every result written with one
    round trip and committed. A failure is kept as account_refresh keeps it (needs_reconnect
    marked and audited, the failure counted, the attempt kept on record when the answer may
    be lost). The calls stop after TOKEN_REFRESH_BATCH_SECONDS, so the rows are not held
    locked for long, and at a 429: the accounts not called yet are left as they were, in
    `uncalled`. A database lock that cannot be had raises TokenStoreBusy; an unexpected error
    of one account is raised after the others' results are committed.
    """
    margin = float(token_settings.TOKEN_REFRESH_WINDOW_SECONDS)
    result = BatchResult()
    try:
        seen, recorded_at = _batch_attempts_record(account_ids, margin=margin, result=result)
        if seen:
            _batch_refresh(seen, recorded_at, margin=margin, result=result)
    except OperationalError as error:
        raise errors.TokenStoreBusy(errors.TOKEN_STORE_BUSY) from error
    return result


def _sweepable(account: ConnectedAccount | None) -> bool:
    """Whether the sweep can refresh the account at all (not deleted, disconnected or without a
    refresh token), read without decrypting."""
    return (account is not None and account.status == Status.ACTIVE
            and stored_secret(account, "refresh_token") is not None
            and stored_access_token(account) is not None)


def _batch_attempts_record(account_ids: list[str], *, margin: float,
                           result: BatchResult) -> tuple[dict[str, _Seen], datetime]:
    """Step 1 of accounts_refresh_batch: the accounts still due, as seen under the lock, and
    the time recorded as their attempt."""
    seen: dict[str, _Seen] = {}
    now = timezone.now()
    with transaction.atomic():
        locked = {str(account.pk): account for account in refresh_rows.accounts_lock(account_ids)}
        for account_id in account_ids:
            account = locked.get(account_id)
            if not _sweepable(account):
                result.outcomes[account_id] = "gone"
            elif not expires_within(account, margin):
                result.outcomes[account_id] = "fresh"
            else:
                seen[account_id] = _Seen(stored_access_token(account),
                                         account.refresh_attempt_started_at)
        if seen:
            refresh_rows.accounts_update(list(seen), refresh_attempt_started_at=now,
                                         updated_at=now)
    return seen, now


def _batch_refresh(seen: dict[str, _Seen], recorded_at: datetime, *, margin: float,
                   result: BatchResult) -> None:
    """Step 2 of accounts_refresh_batch: the calls, under the locks again."""
    budget = float(token_settings.TOKEN_REFRESH_BATCH_SECONDS)
    spent, called = 0.0, 0
    writes: list[tuple[ConnectedAccount, dict[str, Any]]] = []
    unexpected: Exception | None = None
    with transaction.atomic():
        locked = {str(account.pk): account for account in refresh_rows.accounts_lock(list(seen))}
        for account_id, before in seen.items():
            account = locked.get(account_id)
            if not _sweepable(account):
                result.outcomes[account_id] = "gone"
                continue
            if (stored_access_token(account) != before.access_token
                    or not expires_within(account, margin)):
                result.outcomes[account_id] = "fresh"  # another caller refreshed it
                continue
            # At least one call per group, whatever the budget: the chunk always moves on.
            if result.rate_limited is not None or unexpected is not None or (
                    called and spent >= budget):
                result.uncalled.append(account_id)
                if account.refresh_attempt_started_at == recorded_at:  # not another caller's
                    writes.append((account, {"refresh_attempt_started_at": before.attempt}))
                continue
            started, called = time.monotonic(), called + 1
            try:
                outcome = refresh_attempt(account, answer_lost=before.attempt is not None)
            except DatabaseError:
                raise  # nothing can be committed: the attempts on record stand for the answers
            except Exception as error:  # noqa: BLE001 - raised once the others are stored
                # Not a provider's answer (a token that cannot be decrypted, a bug): the tokens
                # the group already obtained are not rolled back with it.
                unexpected = error
                continue
            spent += time.monotonic() - started
            if isinstance(outcome, TokenSet):
                writes.append((account, refreshed_values(outcome)))
                result.outcomes[account_id] = "refreshed"
                continue
            writes.append((account, failed_values(account, outcome)))
            if isinstance(outcome, errors.AccountNeedsReconnect):
                result.outcomes[account_id] = "needs_reconnect"
            elif isinstance(outcome, ApiRateLimited):
                result.rate_limited = (account_id, outcome)
            else:
                result.outcomes[account_id] = "failed"
                result.failures[account_id] = outcome
        refresh_rows.account_rows_update(writes)
    if unexpected is not None:
        raise unexpected


def accounts_refresh_now(*, accounts: QuerySet[ConnectedAccount]) -> int:
    """Queue a refresh of each active account of `accounts` that holds a refresh token, whatever
    its expiry (the console's "Refresh tokens now"); how many were queued.

    One refresh_account task per account, published after the current transaction commits (a
    broker that cannot take it raises kombu's OperationalError: the caller's 503). The task
    refreshes under the row lock like every refresh, so it never races another refresh; a
    message redelivered after a worker died refreshes once more, which is harmless.
    """
    account_ids = [str(pk) for pk in accounts.filter(
        status=Status.ACTIVE, refresh_token__isnull=False).values_list("pk", flat=True)]
    from tokens.tasks import refresh_account

    for account_id in account_ids:
        transaction.on_commit(lambda account_id=account_id: refresh_account.apply_async(
            args=[account_id], kwargs={"force": True}))
    return len(account_ids)


def refresh_chunk_size(count: int) -> int:
    """Accounts per sweep chunk: about TOKEN_REFRESH_CHUNKS_PER_WORKER chunks for each of
    TOKEN_REFRESH_WORKERS workers (so they share the load evenly), at most TOKEN_REFRESH_CHUNK_MAX."""
    chunks = int(token_settings.TOKEN_REFRESH_WORKERS) * int(
        token_settings.TOKEN_REFRESH_CHUNKS_PER_WORKER
    )
    return max(1, min(int(token_settings.TOKEN_REFRESH_CHUNK_MAX), -(-count // max(chunks, 1))))


def accounts_refresh_expiring(
    *, within_seconds: int | None = None, chunk_size: int | None = None,
    publish: Callable[[list[list[str]]], None] | None = None,
) -> int:
    """Enqueue a refresh of every account expiring within the window (default
    TOKEN_REFRESH_WINDOW_SECONDS) that is not already queued, soonest first, in chunks of ids
    published together (one message per chunk, `refresh_chunk_size` unless given); how many
    accounts.

    Deduplicated: the accounts are claimed (refresh_queued_at set) in the same transaction that
    reads them, and the next sweeps skip them for TOKEN_REFRESH_REQUEUE_SECONDS, so a backlog
    waiting in the queue is not enqueued again every minute; after that long the message is
    taken as lost and replaced. A publication that fails releases the claim. A duplicate that
    still reaches the queue is harmless: the refresh re-checks under the row lock.

    No fixed number per run: the provider's 429 slows the chunks down instead (see
    tokens.tasks.refresh_accounts).
    """
    window = token_settings.TOKEN_REFRESH_WINDOW_SECONDS if within_seconds is None else within_seconds
    now = timezone.now()
    requeue_before = now - timedelta(seconds=float(token_settings.TOKEN_REFRESH_REQUEUE_SECONDS))
    unqueued = Q(refresh_queued_at__isnull=True) | Q(refresh_queued_at__lt=requeue_before)
    with transaction.atomic():
        claimed = ConnectedAccount.objects.filter(
            pk__in=selectors.accounts_expiring_query(within_seconds=int(window))
            .filter(unqueued).select_for_update(skip_locked=True).values("pk")
        ).update(refresh_queued_at=now)
        account_ids = [str(pk) for pk in ConnectedAccount.objects.filter(refresh_queued_at=now)
                       .order_by("expires_at").values_list("pk", flat=True)] if claimed else []
    if not account_ids:
        return 0
    size = chunk_size or refresh_chunk_size(len(account_ids))
    chunks = [account_ids[start:start + size] for start in range(0, len(account_ids), size)]
    if publish is None:
        from tokens.tasks import refresh_chunks_publish as publish
    try:
        publish(chunks)
    except BaseException:
        ConnectedAccount.objects.filter(refresh_queued_at=now).update(refresh_queued_at=None)
        raise
    return len(account_ids)
