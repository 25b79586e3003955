"""Refreshing and using an account's access token: exactly once however many callers race,
and never losing the account to a refresh answer that did not arrive."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from django.db import DatabaseError, OperationalError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from approvals.audit import audit_event_record
from config.encryption.fields import Sealed
from integrations.errors import ApiError, ApiRateLimited, ApiTimeout, ApiUnauthorized, OAuthError
from integrations.providers import Credentials, TokenSet
from tokens import account_cache, errors, selectors
from tokens.conf import token_settings
from tokens.models import ConnectedAccount
from tokens.services import refresh_rows
from tokens.services.common import Status, connection_for, label, name_of, provider_for

logger = logging.getLogger(__name__)
T = TypeVar("T")


def _needs_reconnect(account: ConnectedAccount) -> errors.AccountNeedsReconnect:
    name = name_of(account.integration)
    return errors.AccountNeedsReconnect(
        errors.ACCOUNT_NEEDS_RECONNECT.format(integration=name),
        detail={"integration": account.integration,
                "connect_url": selectors.connect_url(account.integration)},
    )


def _expires_within(account: ConnectedAccount, seconds: float) -> bool:
    if account.expires_at is None:
        return False
    return account.expires_at <= timezone.now() + timedelta(seconds=seconds)


def _mark_needs_reconnect(account: ConnectedAccount, *, reason: str) -> None:
    """Inside the caller's transaction, with the row locked."""
    account.status = Status.NEEDS_RECONNECT
    account.save(update_fields=["status", "updated_at"])
    audit_event_record(
        action="account.needs_reconnect", target=label(account), team=account.team,
        metadata={"integration": account.integration, "account": str(account.pk),
                  "reason": reason},
    )


def account_refresh(
    *, account: ConnectedAccount, force: bool = False, within_seconds: float | None = None
) -> ConnectedAccount:
    """Refresh the access token once, however many callers race for it; the fresh account.

    Takes the account's row lock (SELECT ... FOR UPDATE; on SQLite the database's write lock,
    as every transaction there is immediate) and re-reads the row. When the access token
    differs from the one the caller holds, another caller refreshed it: that result is returned
    without a provider call. Otherwise it refreshes when `force` (the provider answered 401) or
    when the token expires within `within_seconds` (default the call margin). The old refresh
    token stays stored until the new tokens are saved; an answer without a refresh token keeps
    the stored one (RFC 6749 section 6).

    A lost answer never costs the account: the attempt is recorded (refresh_attempt_started_at,
    committed) before the call, so it survives a killed process; a timeout is retried at once
    with the same refresh token, which a provider that rotates refresh tokens still accepts
    within its reuse window; and an invalid_grant while a lost attempt is on record is asked
    once more before the account is marked.

    `invalid_grant` (and other reconnect errors) mark the account needs_reconnect (audited) and
    raise AccountNeedsReconnect. 5xx, 429 and timeouts keep every token, count a failure and
    raise the retryable ApiError for the caller to retry. A database lock that cannot be had
    in time raises the retryable TokenStoreBusy (503), never a bare OperationalError.
    """
    refreshed, _ = _refresh(account=account, force=force, within_seconds=within_seconds)
    return refreshed


class _AccountGone(Exception):
    """The sweep's account was deleted, disconnected or holds no refresh token: nothing to do."""


def _lock(account: ConnectedAccount, *, related: bool = True) -> ConnectedAccount | None:
    if not related:  # the sweep: the refresh's columns only, by SQL written once
        return refresh_rows.account_lock(account.pk)
    rows = ConnectedAccount.objects.select_for_update(of=("self",))
    if related:  # the caller goes on to use the credentials (team, user); the sweep does not
        rows = rows.select_related("team", "user")
    return rows.filter(pk=account.pk).first()


def _refresh(
    *, account: ConnectedAccount, force: bool, within_seconds: float | None,
    sweep: bool = False,
) -> tuple[ConnectedAccount, bool]:
    """account_refresh, also saying whether this call obtained the new token."""
    try:
        return _refresh_locked(account=account, force=force, within_seconds=within_seconds,
                               sweep=sweep)
    except OperationalError as error:
        # SQLite's "database is locked" after the busy timeout: try again later, not a 500.
        raise errors.TokenStoreBusy(errors.TOKEN_STORE_BUSY) from error


def _refresh_locked(
    *, account: ConnectedAccount, force: bool, within_seconds: float | None, sweep: bool = False
) -> tuple[ConnectedAccount, bool]:
    """`sweep`: `account` is only a primary key; the token seen under the first lock is the
    one to replace, and an unusable account raises _AccountGone instead of being marked."""
    # Named like the secret it holds, so error reporters scrub it from frame variables. The
    # sweep compares the stored ciphertexts instead: equal ciphertexts are the same token, and
    # no decryption is spent on a token that is about to be replaced.
    access_token = None if sweep else account.access_token
    margin = token_settings.TOKEN_REFRESH_MARGIN_SECONDS if within_seconds is None else within_seconds

    def refresh_due(locked: ConnectedAccount | None) -> bool:
        if locked is None or locked.status != Status.ACTIVE or not locked.has_credentials:
            if sweep:
                raise _AccountGone
            raise _needs_reconnect(locked or account)
        held = _stored_access_token(locked) if sweep else locked.access_token
        if held != access_token:
            return False  # another caller refreshed it
        return force or _expires_within(locked, margin)

    # 1. Record the attempt, committed before the call: a process killed during the call rolls
    # back the transaction below, and the next refresh still learns that an answer was lost.
    with transaction.atomic():
        locked = _lock(account, related=not sweep)
        if sweep:
            if locked is None or _stored(locked, "refresh_token") is None:
                raise _AccountGone
            access_token = _stored_access_token(locked)
        if not refresh_due(locked):
            return locked, False
        answer_lost = locked.refresh_attempt_started_at is not None
        if _stored(locked, "refresh_token") is not None:  # decrypted once, for the call
            now = timezone.now()
            refresh_rows.account_row_update(locked, refresh_attempt_started_at=now, updated_at=now)

    # 2. The call, under the lock again, so that concurrent callers wait for its result.
    with transaction.atomic():
        locked = _lock(account, related=not sweep)
        if not refresh_due(locked):
            return locked, False
        if not locked.refresh_token:
            # OAuth 1.0a (Jira) or a provider that gave no refresh token: only a reconnect helps.
            _mark_needs_reconnect(locked, reason="no_refresh_token")
            failure = _needs_reconnect(locked)
        else:
            outcome = _refresh_attempt(locked, answer_lost=answer_lost)
            if isinstance(outcome, TokenSet):
                refresh_rows.account_row_update(locked, **_refreshed_values(outcome))
                return locked, True
            failure = outcome
        refresh_rows.account_row_update(locked, **_failed_values(locked, failure))
    # Raised here, after the block, so that the transaction commits the needs_reconnect mark,
    # its audit event and the failure count instead of rolling them back with the error.
    raise failure


def _refresh_attempt(locked: ConnectedAccount, *, answer_lost: bool) -> TokenSet | Exception:
    """The provider's refresh of the locked account: its new tokens, or the failure to raise,
    after marking the account needs_reconnect (audited) when the provider says so."""
    try:
        return _refresh_call(locked, answer_lost=answer_lost)
    except OAuthError as error:
        locked.refresh_attempt_started_at = None  # answered: nothing was lost
        if error.needs_reconnect:
            _mark_needs_reconnect(locked, reason=error.error)
            return _needs_reconnect(locked)
        return error
    except ApiError as error:
        # Kept on record: a timeout or a broken connection may have hidden a refresh the
        # provider performed (a 5xx answer keeps it too, which costs at most one re-check of
        # a later invalid_grant).
        return error


def _refreshed_values(token_set: TokenSet) -> dict[str, Any]:
    """The columns a refresh changes: one UPDATE of what changed."""
    now = timezone.now()
    changed: dict[str, Any] = {"access_token": token_set.access_token}
    if token_set.refresh_token:
        changed["refresh_token"] = token_set.refresh_token
    if token_set.scopes:
        changed["scopes"] = token_set.scopes[:500]
    return {**changed, "expires_at": token_set.expires_at, "last_refreshed_at": now,
            "refresh_attempt_started_at": None, "refresh_queued_at": None,
            "consecutive_failures": 0, "updated_at": now}


def _failed_values(locked: ConnectedAccount, failure: Exception) -> dict[str, Any]:
    """The columns a failed refresh changes: the attempt as _refresh_attempt left it, and one
    more consecutive failure unless the account now needs a reconnect."""
    return {"refresh_attempt_started_at": locked.refresh_attempt_started_at,
            "consecutive_failures": locked.consecutive_failures
            + (0 if isinstance(failure, errors.AccountNeedsReconnect) else 1),
            "updated_at": timezone.now()}


def _stored(account: ConnectedAccount, field: str) -> Any:
    """A secret as stored (its ciphertext, None when absent), read without decrypting."""
    value = account.__dict__.get(field)
    if isinstance(value, Sealed):
        return value.ciphertext
    return value or None


def _stored_access_token(account: ConnectedAccount) -> Any:
    return _stored(account, "access_token")


def _refresh_call(locked: ConnectedAccount, *, answer_lost: bool) -> TokenSet:
    """The provider's refresh with the stored refresh token, made safe for lost answers.

    A timeout may have hidden a refresh the provider performed (and, if it rotates, a spent
    refresh token): the same request is sent once more at once, while the provider's reuse
    window is open. An invalid_grant while an earlier answer is known lost (`answer_lost`, or a
    timeout in this call) is asked once more after REFRESH_RECHECK_DELAY_SECONDS, since a
    provider can refuse a token it is still rotating; only a second refusal stands.
    """
    provider = provider_for(locked.integration)
    refresh_token = locked.refresh_token
    rechecked = False
    timed_out = False
    while True:
        try:
            return provider.refresh(refresh_token=refresh_token)
        except ApiTimeout:
            if timed_out:
                raise
            timed_out = answer_lost = True
            logger.warning("refresh of account %s: answer lost (timeout), retrying at once",
                           locked.pk)
        except OAuthError as error:
            if not (error.needs_reconnect and answer_lost) or rechecked:
                raise
            rechecked = True
            logger.warning("refresh of account %s: %s after a lost answer, asking again",
                           locked.pk, error.error)
            time.sleep(float(token_settings.TOKEN_REFRESH_RECHECK_DELAY_SECONDS))


def account_refresh_by_id(
    *, account_id: Any, within_seconds: float | None = None, force: bool = False
) -> str:
    """The refresh task's service: "refreshed", "fresh" (nothing to do) or "gone". With
    `force`, refreshes whatever the expiry (unless another caller just did).

    The same exactly-once refresh as account_refresh, with no read before the first row lock
    (the sweep holds only ids): four queries for a refresh, none joined.
    """
    try:
        _, refreshed = _refresh(
            account=ConnectedAccount(pk=account_id), force=force, sweep=True,
            within_seconds=token_settings.TOKEN_REFRESH_WINDOW_SECONDS
            if within_seconds is None else within_seconds,
        )
    except _AccountGone:
        return "gone"
    return "refreshed" if refreshed else "fresh"


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
            and _stored(account, "refresh_token") is not None
            and _stored_access_token(account) is not None)


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
            elif not _expires_within(account, margin):
                result.outcomes[account_id] = "fresh"
            else:
                seen[account_id] = _Seen(_stored_access_token(account),
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
            if (_stored_access_token(account) != before.access_token
                    or not _expires_within(account, margin)):
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
                outcome = _refresh_attempt(account, answer_lost=before.attempt is not None)
            except DatabaseError:
                raise  # nothing can be committed: the attempts on record stand for the answers
            except Exception as error:  # noqa: BLE001 - raised once the others are stored
                # Not a provider's answer (a token that cannot be decrypted, a bug): the tokens
                # the group already obtained are not rolled back with it.
                unexpected = error
                continue
            spent += time.monotonic() - started
            if isinstance(outcome, TokenSet):
                writes.append((account, _refreshed_values(outcome)))
                result.outcomes[account_id] = "refreshed"
                continue
            writes.append((account, _failed_values(account, outcome)))
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


def account_credentials(account: ConnectedAccount) -> Credentials:
    return Credentials(
        access_token=account.access_token,
        token_secret=account.token_secret,
        connection=connection_for(team=account.team, integration=account.integration),
    )


def account_call(*, account: ConnectedAccount, call: Callable[[Credentials], T]) -> T:
    """Run `call(credentials)` with a valid access token and return its result.

    Refreshes first when the token expires within TOKEN_REFRESH_MARGIN_SECONDS, and once more
    (forced) after an ApiUnauthorized, then calls again; a second 401 marks the account
    needs_reconnect. A refresh that fails with a retryable error while the held token has not
    expired yet uses the held token. Marks last_used_at, at most once per
    TOKEN_LAST_USED_RESOLUTION_SECONDS on the caller's `account` object, so an action of many
    calls writes it once. Raises AccountNeedsReconnect (409,
    detail.connect_url) when the account cannot be used; provider ApiErrors pass through.
    """
    if account.status != Status.ACTIVE or not account.has_credentials:
        raise _needs_reconnect(account)
    caller_account = account
    if _expires_within(account, token_settings.TOKEN_REFRESH_MARGIN_SECONDS):
        try:
            account = account_refresh(account=account)
        except ApiError as error:
            if not error.retryable or _expires_within(account, 0):
                raise
    try:
        result = call(account_credentials(account))
    except ApiUnauthorized:
        account = account_refresh(account=account, force=True)
        try:
            result = call(account_credentials(account))
        except ApiUnauthorized:
            with transaction.atomic():
                locked = ConnectedAccount.objects.select_for_update().filter(pk=account.pk).first()
                if locked is not None and locked.access_token == account.access_token:
                    _mark_needs_reconnect(locked, reason="unauthorized")
            raise _needs_reconnect(account) from None
    _mark_used(caller_account)
    return result


def _mark_used(account: ConnectedAccount) -> None:
    now = timezone.now()
    resolution = timedelta(seconds=token_settings.TOKEN_LAST_USED_RESOLUTION_SECONDS)
    if account.last_used_at is not None and now - account.last_used_at < resolution:
        return  # written moments ago (an earlier call of the same action)
    ConnectedAccount.objects.filter(pk=account.pk).update(last_used_at=now)
    account.last_used_at = now
    account_cache.account_used(account, now)


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
