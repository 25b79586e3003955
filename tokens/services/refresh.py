"""Refreshing and using an account's access token: exactly once however many callers race,
and never losing the account to a refresh answer that did not arrive."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.db import OperationalError, transaction
from django.utils import timezone

from approvals.audit import audit_event_record
from config.encryption.fields import Sealed
from integrations.errors import ApiError, ApiTimeout, ApiUnauthorized, OAuthError
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


def expires_within(account: ConnectedAccount, seconds: float) -> bool:
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
        held = stored_access_token(locked) if sweep else locked.access_token
        if held != access_token:
            return False  # another caller refreshed it
        return force or expires_within(locked, margin)

    # 1. Record the attempt, committed before the call: a process killed during the call rolls
    # back the transaction below, and the next refresh still learns that an answer was lost.
    with transaction.atomic():
        locked = _lock(account, related=not sweep)
        if sweep:
            if locked is None or stored_secret(locked, "refresh_token") is None:
                raise _AccountGone
            access_token = stored_access_token(locked)
        if not refresh_due(locked):
            return locked, False
        answer_lost = locked.refresh_attempt_started_at is not None
        if stored_secret(locked, "refresh_token") is not None:  # decrypted once, for the call
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
            outcome = refresh_attempt(locked, answer_lost=answer_lost)
            if isinstance(outcome, TokenSet):
                refresh_rows.account_row_update(locked, **refreshed_values(outcome))
                return locked, True
            failure = outcome
        refresh_rows.account_row_update(locked, **failed_values(locked, failure))
    # Raised here, after the block, so that the transaction commits the needs_reconnect mark,
    # its audit event and the failure count instead of rolling them back with the error.
    raise failure


def refresh_attempt(locked: ConnectedAccount, *, answer_lost: bool) -> TokenSet | Exception:
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


def refreshed_values(token_set: TokenSet) -> dict[str, Any]:
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


def failed_values(locked: ConnectedAccount, failure: Exception) -> dict[str, Any]:
    """The columns a failed refresh changes: the attempt as _refresh_attempt left it, and one
    more consecutive failure unless the account now needs a reconnect."""
    return {"refresh_attempt_started_at": locked.refresh_attempt_started_at,
            "consecutive_failures": locked.consecutive_failures
            + (0 if isinstance(failure, errors.AccountNeedsReconnect) else 1),
            "updated_at": timezone.now()}


def stored_secret(account: ConnectedAccount, field: str) -> Any:
    """A secret as stored (its ciphertext, None when absent), read without decrypting."""
    value = account.__dict__.get(field)
    if isinstance(value, Sealed):
        return value.ciphertext
    return value or None


def stored_access_token(account: ConnectedAccount) -> Any:
    return stored_secret(account, "access_token")


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
    if expires_within(account, token_settings.TOKEN_REFRESH_MARGIN_SECONDS):
        try:
            account = account_refresh(account=account)
        except ApiError as error:
            if not error.retryable or expires_within(account, 0):
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
