"""Revocation: an account's credentials deleted at once, its grant revoked at the provider by
a task that retries with backoff and is audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from approvals.audit import audit_changes, audit_event_record
from approvals.audit_actions import AuditAction, RevocationReason
from approvals.models import Team
from integrations.errors import ApiError
from integrations.providers import Revocation, supports
from tokens import errors, selectors
from tokens.conf import token_settings
from tokens.models import ConnectedAccount, ProviderRevocation
from tokens.services.common import (
    backoff_seconds,
    connection_for,
    label,
    provider_for,
    retry_delay,
)


def queue_revocation(account: ConnectedAccount, *, replaced: bool = False) -> None:
    """Keep the token that revokes the account's grant for the revocation task, sent on
    commit. A refresh token revokes the whole authorization at Asana
    (https://developers.asana.com/docs/oauth#token-deauthorization), so it is preferred."""
    token = account.refresh_token or account.access_token
    if not token or not supports(account.integration, Revocation):
        return  # a provider without revocation (Jira Server): deleting the tokens is all
    revocation = ProviderRevocation(
        integration=account.integration, team=account.team, account_label=label(account),
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
    """Delete the account's credentials now, keep the account as revoked (when, by whom, why:
    `reason` is a RevocationReason), and revoke its grant at the provider.

    The provider call runs in a task after commit; when it fails the local credentials are gone
    all the same, the failure is an audit event and the task retries with backoff. Used by
    Disconnect, uninstall for team / for me, removing a member and the console's "Revoke
    tokens". Idempotent: an account already revoked (or gone) is a no-op. Audit event
    "account.revoke" with the status change.
    """
    reason = RevocationReason(reason)
    with transaction.atomic():
        locked = (
            ConnectedAccount.objects.select_for_update(of=("self",))
            .select_related("team", "user").filter(pk=account.pk).first()
        )
        if locked is None or locked.status == ConnectedAccount.Status.REVOKED:
            return
        queue_revocation(locked)
        audit_event_record(
            action=AuditAction.ACCOUNT_REVOKE, actor=acting_user, target=label(locked),
            team=locked.team, source_ip=source_ip,
            metadata={"integration": locked.integration, "account": str(locked.pk),
                      "user": locked.user_id, "reason": reason.value},
            changes=audit_changes(status=(locked.status, ConnectedAccount.Status.REVOKED)),
        )
        locked.access_token = None
        locked.refresh_token = None
        locked.token_secret = None
        locked.expires_at = None
        locked.refresh_attempt_started_at = None
        locked.status = ConnectedAccount.Status.REVOKED
        locked.revoked_at = timezone.now()
        locked.revoked_by = acting_user if acting_user is not None and acting_user.pk else None
        locked.revoked_reason = reason.value
        locked.save()


def accounts_revoke_for(
    *, team: Team, integration: str, user: AbstractBaseUser | None, acting_user: Any, reason: str,
) -> int:
    """The approvals revoker (approvals.hooks): the team's accounts for the integration, or
    one user's; how many were revoked."""
    accounts = ConnectedAccount.objects.filter(team=team, integration=integration).exclude(
        status=ConnectedAccount.Status.REVOKED)
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
            provider = provider_for(revocation.integration)
            if supports(provider, Revocation):
                connection = connection_for(team=revocation.team,
                                            integration=revocation.integration)
                provider.revoke(token=revocation.token, connection=connection)  # type: ignore[attr-defined]
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
