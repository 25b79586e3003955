"""Retention: credentials unused for TOKEN_RETENTION_DAYS are deleted and revoked."""

from __future__ import annotations

from django.db import transaction

from approvals.audit import audit_event_record
from tokens import selectors
from tokens.conf import token_settings
from tokens.services.common import Status, label
from tokens.services.revocation import queue_revocation


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
            queue_revocation(locked)
            locked.access_token = None
            locked.refresh_token = None
            locked.token_secret = None
            locked.expires_at = None
            locked.status = Status.NEEDS_RECONNECT
            locked.save()
            audit_event_record(
                action="account.purge", target=label(locked), team=locked.team,
                metadata={"integration": locked.integration, "account": str(locked.pk),
                          "retention_days": int(days)},
            )
            purged += 1
    return purged
