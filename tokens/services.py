"""The connected-account lifecycle: connect, refresh, call, revoke, purge.

Every service that changes governed state (connect, revoke, purge) runs in `transaction.atomic`,
takes the keyword-only `acting_user` where a person acts, writes its audit event in the same
transaction and enqueues provider work on commit. Tasks receive row ids, never tokens.
Provider calls go through the `Provider` protocol only (integrations/providers.py).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import OperationalError, transaction
from django.utils import timezone

from approvals import errors as approval_errors
from approvals import services as approval_services
from approvals.audit import audit_event_record
from approvals.catalog import catalog_entry
from approvals.models import Team
from approvals.selectors import installation_get, is_team_admin, membership_get
from integrations.errors import ApiError, ApiTimeout, ApiUnauthorized, OAuthError
from integrations.providers import (
    AuthorizationStart,
    Credentials,
    Provider,
    TokenSet,
    get_provider,
)
from tokens import errors, selectors
from tokens.conf import token_settings
from tokens.models import ConnectedAccount, ProviderRevocation

logger = logging.getLogger(__name__)
T = TypeVar("T")
Status = ConnectedAccount.Status


def _name(integration: str) -> str:
    entry = catalog_entry(integration)
    return entry.name if entry else integration


def _provider(integration: str) -> Provider:
    try:
        return get_provider(integration)
    except LookupError:
        if integration == "jira_server":
            raise errors.IntegrationNotSetUp(errors.JIRA_NOT_SET_UP) from None
        raise approval_errors.UnknownIntegration(
            approval_errors.UNKNOWN_INTEGRATION.format(key=integration)
        ) from None


def _server(*, team: Team | None, integration: str) -> Any:
    """Jira's server context for the team; IntegrationNotSetUp when the team has none."""
    server = selectors.server_context(team=team, integration=integration)
    if integration == "jira_server" and server is None:
        raise errors.IntegrationNotSetUp(errors.JIRA_NOT_SET_UP)
    return server


def backoff_seconds(attempt: int) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(max, base * 2**attempt)]
    (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/), at least 1s."""
    ceiling = min(float(token_settings.TOKEN_RETRY_BACKOFF_MAX),
                  float(token_settings.TOKEN_RETRY_BACKOFF_BASE) * (2 ** max(attempt, 0)))
    return max(1.0, random.uniform(0, ceiling))  # noqa: S311 - jitter, not a secret


def retry_delay(error: ApiError, attempt: int) -> float:
    """When to try again: the provider's Retry-After for a 429, else backoff with jitter."""
    if error.retry_after is not None:
        return max(1.0, float(error.retry_after))
    return backoff_seconds(attempt)


# -- connect ---------------------------------------------------------------------------------


def account_connect_prepare(
    *, user: AbstractBaseUser, team: Team, integration: str, source_ip: str | None = None
) -> str:
    """What stands between the user and the provider's consent screen, resolved.

    Returns "ready" (installed), "installed" (the user is a team admin: installed now) or
    "requested" (a member: an install request exists, created now or earlier; idempotent).
    Raises the approvals errors (not a member, plan upgrade needed, unknown integration).
    """
    approval_services.integration_check_available(team=team, integration=integration)
    if membership_get(user=user, team=team) is None:
        raise approval_errors.NotTeamMember(approval_errors.NOT_A_MEMBER)
    if installation_get(team=team, integration=integration) is not None:
        return "ready"
    if is_team_admin(user=user, team=team):
        approval_services.integration_install(
            team=team, integration=integration, acting_user=user, source_ip=source_ip
        )
        return "installed"
    approval_services.install_request_create(
        team=team, integration=integration, requested_by=user, source_ip=source_ip
    )
    return "requested"


def _require_installed(*, user: AbstractBaseUser, team: Team, integration: str) -> None:
    approval_services.integration_check_available(team=team, integration=integration)
    if membership_get(user=user, team=team) is None:
        raise approval_errors.NotTeamMember(approval_errors.NOT_A_MEMBER)
    if installation_get(team=team, integration=integration) is None:
        raise approval_errors.NotInstalled(
            errors.NOT_INSTALLED.format(integration=_name(integration), team=team.name)
        )


def account_connect_start(
    *, user: AbstractBaseUser, team: Team, integration: str, redirect_uri: str
) -> AuthorizationStart:
    """Where to send the browser (the provider's consent screen) and what the callback needs.

    Only for members of a team that installed the integration; Jira needs the team's server.
    Changes nothing: the caller keeps the returned start in the user's session.
    """
    _require_installed(user=user, team=team, integration=integration)
    server = _server(team=team, integration=integration)
    try:
        return _provider(integration).authorization_start(redirect_uri=redirect_uri,
                                                          server=server)
    except OAuthError as error:
        raise errors.ConnectFlowRefused(
            error.message if error.explained else errors.FLOW_PROVIDER_ERROR.format(
                integration=_name(integration), reason=error.error[:60]),
            reason="provider_error", http_status=502,
        ) from None
    except ApiError:
        raise errors.ConnectFlowRefused(
            errors.FLOW_PROVIDER_UNAVAILABLE.format(integration=_name(integration)),
            reason="provider_unavailable", http_status=502,
        ) from None


def account_connect_finish(
    *, user: AbstractBaseUser, team: Team, integration: str, params: dict[str, str],
    start: AuthorizationStart, redirect_uri: str, source_ip: str | None = None,
) -> ConnectedAccount:
    """Exchange the callback's answer for tokens and store them, encrypted, with the
    provider identity. The state was checked by the caller (tokens.flow).

    A user who declined, a provider error or an unreachable provider raise ConnectFlowRefused
    and store nothing. Reconnecting replaces the account's credentials and queues the
    revocation of the replaced ones. Audit event "account.connect".
    """
    name = _name(integration)
    denied = params.get("error") == "access_denied" or params.get("oauth_verifier") == "denied"
    if denied:
        raise errors.ConnectFlowRefused(errors.FLOW_DENIED.format(integration=name),
                                        reason="access_denied")
    # OAuth 2.0's `error` is explained here; OAuth 1.0a's `oauth_problem` goes to the provider,
    # which knows what each of Jira's problems means and what to do about it.
    if params.get("error"):
        reason = params["error"]
        raise errors.ConnectFlowRefused(
            errors.FLOW_PROVIDER_ERROR.format(integration=name, reason=reason[:60]),
            reason="provider_error",
        )
    _require_installed(user=user, team=team, integration=integration)
    server = _server(team=team, integration=integration)
    try:
        token_set = _provider(integration).authorization_finish(
            params=params, start=start, redirect_uri=redirect_uri, server=server
        )
    except OAuthError as error:
        if error.error == "access_denied":
            raise errors.ConnectFlowRefused(errors.FLOW_DENIED.format(integration=name),
                                            reason="access_denied") from None
        raise errors.ConnectFlowRefused(
            error.message if error.explained
            else errors.FLOW_PROVIDER_ERROR.format(integration=name, reason=error.error[:60]),
            reason="provider_error",
        ) from None
    except ApiError:
        raise errors.ConnectFlowRefused(
            errors.FLOW_PROVIDER_UNAVAILABLE.format(integration=name),
            reason="provider_unavailable", http_status=502,
        ) from None
    now = timezone.now()
    with transaction.atomic():
        account = (
            ConnectedAccount.objects.select_for_update()
            .filter(user=user, team=team, integration=integration)
            .first()
        )
        if account is None:
            account = ConnectedAccount(user=user, team=team, integration=integration)
        else:
            _queue_revocation(account, replaced=True)
        account.access_token = token_set.access_token
        account.refresh_token = token_set.refresh_token
        account.token_secret = token_set.token_secret
        account.expires_at = token_set.expires_at
        account.scopes = token_set.scopes[:500]
        account.provider_account_id = token_set.account_id[:255]
        account.provider_account_name = token_set.account_name[:255]
        account.provider_account_email = token_set.account_email[:255]
        account.status = Status.ACTIVE
        account.consecutive_failures = 0
        account.last_used_at = now
        account.last_refreshed_at = None
        account.save()
        audit_event_record(
            action="account.connect", actor=user, target=_label(account), team=team,
            source_ip=source_ip,
            metadata={"integration": integration, "account": str(account.pk),
                      "provider_account_id": account.provider_account_id,
                      "scopes": account.scopes},
        )
    return account


def account_connect_refused(
    *, user: AbstractBaseUser | None, team: Team | None, integration: str, reason: str,
    source_ip: str | None = None,
) -> None:
    """Audit a callback that stored nothing (declined, bad or replayed state, provider error)."""
    audit_event_record(
        action="account.connect_refused", actor=user, target=_name(integration), team=team,
        source_ip=source_ip, metadata={"integration": integration, "reason": reason},
    )


def _label(account: ConnectedAccount) -> str:
    who = account.provider_account_name or account.provider_account_id or "account"
    return f"{_name(account.integration)} {who} of {account.user}"


# -- refresh and use -------------------------------------------------------------------------


def _needs_reconnect(account: ConnectedAccount) -> errors.AccountNeedsReconnect:
    name = _name(account.integration)
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
        action="account.needs_reconnect", target=_label(account), team=account.team,
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


def _lock(account: ConnectedAccount) -> ConnectedAccount | None:
    return (
        ConnectedAccount.objects.select_for_update(of=("self",))
        .select_related("team", "user").filter(pk=account.pk).first()
    )


def _refresh(
    *, account: ConnectedAccount, force: bool, within_seconds: float | None
) -> tuple[ConnectedAccount, bool]:
    """account_refresh, also saying whether this call obtained the new token."""
    try:
        return _refresh_locked(account=account, force=force, within_seconds=within_seconds)
    except OperationalError as error:
        # SQLite's "database is locked" after the busy timeout: try again later, not a 500.
        raise errors.TokenStoreBusy(errors.TOKEN_STORE_BUSY) from error


def _refresh_locked(
    *, account: ConnectedAccount, force: bool, within_seconds: float | None
) -> tuple[ConnectedAccount, bool]:
    # Named like the secret it holds, so error reporters scrub it from frame variables.
    access_token = account.access_token
    margin = token_settings.TOKEN_REFRESH_MARGIN_SECONDS if within_seconds is None else within_seconds

    def refresh_due(locked: ConnectedAccount | None) -> bool:
        if locked is None or locked.status != Status.ACTIVE or not locked.has_credentials:
            raise _needs_reconnect(locked or account)
        if locked.access_token != access_token:
            return False  # another caller refreshed it
        return force or _expires_within(locked, margin)

    # 1. Record the attempt, committed before the call: a process killed during the call rolls
    # back the transaction below, and the next refresh still learns that an answer was lost.
    with transaction.atomic():
        locked = _lock(account)
        if not refresh_due(locked):
            return locked, False
        answer_lost = locked.refresh_attempt_started_at is not None
        if locked.refresh_token:
            locked.refresh_attempt_started_at = timezone.now()
            locked.save(update_fields=["refresh_attempt_started_at", "updated_at"])

    # 2. The call, under the lock again, so that concurrent callers wait for its result.
    failure: Exception | None = None
    with transaction.atomic():
        locked = _lock(account)
        if not refresh_due(locked):
            return locked, False
        if not locked.refresh_token:
            # OAuth 1.0a (Jira) or a provider that gave no refresh token: only a reconnect helps.
            _mark_needs_reconnect(locked, reason="no_refresh_token")
            failure = _needs_reconnect(locked)
        else:
            try:
                token_set = _refresh_call(locked, answer_lost=answer_lost)
            except OAuthError as error:
                locked.refresh_attempt_started_at = None  # answered: nothing was lost
                if error.needs_reconnect:
                    _mark_needs_reconnect(locked, reason=error.error)
                    failure = _needs_reconnect(locked)
                else:
                    failure = error
            except ApiError as error:
                # Kept on record: a timeout or a broken connection may have hidden a refresh
                # the provider performed (a 5xx answer keeps it too, which costs at most one
                # re-check of a later invalid_grant).
                failure = error
            else:
                locked.access_token = token_set.access_token
                if token_set.refresh_token:
                    locked.refresh_token = token_set.refresh_token
                locked.expires_at = token_set.expires_at
                if token_set.scopes:
                    locked.scopes = token_set.scopes[:500]
                locked.last_refreshed_at = timezone.now()
                locked.refresh_attempt_started_at = None
                locked.consecutive_failures = 0
                locked.save()
                return locked, True
            if not isinstance(failure, errors.AccountNeedsReconnect):
                locked.consecutive_failures += 1
            locked.save(update_fields=["consecutive_failures", "refresh_attempt_started_at",
                                       "updated_at"])
    # Raised here, after the block, so that the transaction commits the needs_reconnect mark,
    # its audit event and the failure count instead of rolling them back with the error.
    raise failure


def _refresh_call(locked: ConnectedAccount, *, answer_lost: bool) -> TokenSet:
    """The provider's refresh with the stored refresh token, made safe for lost answers.

    A timeout may have hidden a refresh the provider performed (and, if it rotates, a spent
    refresh token): the same request is sent once more at once, while the provider's reuse
    window is open. An invalid_grant while an earlier answer is known lost (`answer_lost`, or a
    timeout in this call) is asked once more after REFRESH_RECHECK_DELAY_SECONDS, since a
    provider can refuse a token it is still rotating; only a second refusal stands.
    """
    provider = _provider(locked.integration)
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


def account_refresh_by_id(*, account_id: Any, within_seconds: float | None = None) -> str:
    """The refresh task's service: "refreshed", "fresh" (nothing to do) or "gone"."""
    account = ConnectedAccount.objects.filter(pk=account_id).first()
    if account is None or account.status != Status.ACTIVE or not account.refresh_token:
        return "gone"
    _, refreshed = _refresh(
        account=account, force=False,
        within_seconds=token_settings.TOKEN_REFRESH_WINDOW_SECONDS
        if within_seconds is None else within_seconds,
    )
    return "refreshed" if refreshed else "fresh"


def account_credentials(account: ConnectedAccount) -> Credentials:
    return Credentials(
        access_token=account.access_token,
        token_secret=account.token_secret,
        server=_server(team=account.team, integration=account.integration),
    )


def account_call(*, account: ConnectedAccount, call: Callable[[Credentials], T]) -> T:
    """Run `call(credentials)` with a valid access token and return its result.

    Refreshes first when the token expires within TOKEN_REFRESH_MARGIN_SECONDS, and once more
    (forced) after an ApiUnauthorized, then calls again; a second 401 marks the account
    needs_reconnect. A refresh that fails with a retryable error while the held token has not
    expired yet uses the held token. Marks last_used_at. Raises AccountNeedsReconnect (409,
    detail.connect_url) when the account cannot be used; provider ApiErrors pass through.
    """
    if account.status != Status.ACTIVE or not account.has_credentials:
        raise _needs_reconnect(account)
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
    ConnectedAccount.objects.filter(pk=account.pk).update(last_used_at=timezone.now())
    return result


def accounts_refresh_expiring(
    *, within_seconds: int | None = None, batch_size: int | None = None,
    enqueue: Callable[[Any], None] | None = None,
) -> int:
    """Enqueue a refresh task (by id) for each account expiring within the window (default
    TOKEN_REFRESH_WINDOW_SECONDS), at most `batch_size` per run, soonest first; how many.

    Duplicates in the queue are harmless: account_refresh re-checks under the row lock.
    """
    window = token_settings.TOKEN_REFRESH_WINDOW_SECONDS if within_seconds is None else within_seconds
    limit = token_settings.TOKEN_REFRESH_BATCH_SIZE if batch_size is None else batch_size
    if enqueue is None:
        from tokens.tasks import refresh_account

        def enqueue(account_id: Any) -> None:
            refresh_account.delay(str(account_id))

    account_ids = selectors.accounts_expiring(within_seconds=int(window), limit=int(limit))
    for account_id in account_ids:
        enqueue(account_id)
    return len(account_ids)


# -- revoke and purge ------------------------------------------------------------------------


def _queue_revocation(account: ConnectedAccount, *, replaced: bool = False) -> None:
    """Keep the token that revokes the account's grant for the revocation task, sent on
    commit. A refresh token revokes the whole authorization at Asana
    (https://developers.asana.com/docs/oauth#token-deauthorization), so it is preferred."""
    token = account.refresh_token or account.access_token
    if not token:
        return
    revocation = ProviderRevocation(
        integration=account.integration, team=account.team, account_label=_label(account),
        next_attempt_at=timezone.now(),
    )
    revocation.token = token
    revocation.save()
    from tokens.tasks import send_revocation

    revocation_id = str(revocation.pk)
    transaction.on_commit(lambda: send_revocation.delay(revocation_id), robust=True)


def account_revoke(
    *, account: ConnectedAccount, acting_user: AbstractBaseUser | None, reason: str,
    source_ip: str | None = None,
) -> None:
    """Delete the account and its credentials now, and revoke its grant at the provider.

    The provider call runs in a task after commit; when it fails the local credentials are gone
    all the same, the failure is an audit event and the task retries with backoff. Used by
    Disconnect, uninstall for team / for me and the console's "Revoke tokens". Idempotent: an
    account already deleted is a no-op. Audit event "account.revoke".
    """
    with transaction.atomic():
        locked = (
            ConnectedAccount.objects.select_for_update(of=("self",))
            .select_related("team", "user").filter(pk=account.pk).first()
        )
        if locked is None:
            return
        _queue_revocation(locked)
        audit_event_record(
            action="account.revoke", actor=acting_user, target=_label(locked), team=locked.team,
            source_ip=source_ip,
            metadata={"integration": locked.integration, "account": str(locked.pk),
                      "user": locked.user_id, "reason": reason},
        )
        locked.delete()


def accounts_revoke_for(
    *, team: Team, integration: str, user: AbstractBaseUser | None, acting_user: Any, reason: str,
) -> int:
    """The approvals revoker (approvals.hooks): the team's accounts for the integration, or
    one user's; how many were revoked."""
    accounts = ConnectedAccount.objects.filter(team=team, integration=integration)
    if user is not None:
        accounts = accounts.filter(user=user)
    count = 0
    for account in accounts:
        account_revoke(account=account, acting_user=acting_user, reason=reason)
        count += 1
    return count


def revocation_send(*, revocation_id: Any) -> float | None:
    """Revoke one queued token at the provider. None when done (or nothing to do); else the
    delay before the next try.

    Success deletes the row. A failure counts an attempt, is audited
    ("account.provider_revoke_failed") and schedules the next try; after
    TOKEN_REVOCATION_MAX_ATTEMPTS the row is deleted ("account.provider_revoke_abandoned").
    The row is locked with SKIP LOCKED, so two runs never send the same revocation at once.
    """
    with transaction.atomic():
        revocation = (
            ProviderRevocation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("team").filter(pk=revocation_id).first()
        )
        if revocation is None:
            return None
        try:
            server = _server(team=revocation.team, integration=revocation.integration)
            _provider(revocation.integration).revoke(token=revocation.token, server=server)
        except (ApiError, errors.IntegrationNotSetUp) as error:
            revocation.attempts += 1
            status = getattr(error, "status", None)
            revocation.last_error = f"{type(error).__name__} {status or ''}".strip()[:255]
            metadata = {"integration": revocation.integration, "revocation": str(revocation.pk),
                        "attempt": revocation.attempts, "error": revocation.last_error}
            if revocation.attempts >= token_settings.TOKEN_REVOCATION_MAX_ATTEMPTS:
                audit_event_record(action="account.provider_revoke_abandoned",
                                   target=revocation.account_label, team=revocation.team,
                                   metadata=metadata)
                revocation.delete()
                return None
            audit_event_record(action="account.provider_revoke_failed",
                               target=revocation.account_label, team=revocation.team,
                               metadata=metadata)
            delay = retry_delay(error, revocation.attempts - 1) if isinstance(
                error, ApiError) else backoff_seconds(revocation.attempts - 1)
            revocation.next_attempt_at = timezone.now() + timedelta(seconds=delay)
            revocation.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            return delay
        revocation.delete()
    return None


def revocations_send_due(
    *, overdue_seconds: int = 120, enqueue: Callable[[Any], None] | None = None
) -> int:
    """Enqueue the revocations whose next try is `overdue_seconds` late: the beat job's safety
    net behind the task's own retries (a lost message, a worker restart, eager mode)."""
    if enqueue is None:
        from tokens.tasks import send_revocation

        def enqueue(revocation_id: Any) -> None:
            send_revocation.delay(str(revocation_id))

    due = selectors.revocations_due(overdue_seconds=overdue_seconds)
    for revocation_id in due:
        enqueue(revocation_id)
    return len(due)


def accounts_purge_unused(*, days: int | None = None) -> int:
    """Retention: delete the credentials of accounts unused for `days` (default
    TOKEN_RETENTION_DAYS) and revoke them at the provider; the account stays, marked
    needs_reconnect, so its owner sees a Reconnect button. Audit event "account.purge" each."""
    days = token_settings.TOKEN_RETENTION_DAYS if days is None else days
    purged = 0
    for account_id in list(selectors.accounts_unused(days=int(days)).values_list("pk", flat=True)):
        with transaction.atomic():
            locked = (
                selectors.accounts_unused(days=int(days)).select_for_update(of=("self",))
                .select_related("team", "user").filter(pk=account_id).first()
            )
            if locked is None:
                continue  # used or reconnected meanwhile
            _queue_revocation(locked)
            locked.access_token = None
            locked.refresh_token = None
            locked.token_secret = None
            locked.expires_at = None
            locked.status = Status.NEEDS_RECONNECT
            locked.save()
            audit_event_record(
                action="account.purge", target=_label(locked), team=locked.team,
                metadata={"integration": locked.integration, "account": str(locked.pk),
                          "retention_days": int(days)},
            )
            purged += 1
    return purged
