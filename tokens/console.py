"""What tokens adds to the console home (through approvals' hooks): connections per
integration by health, provider revocations waiting for a retry, and who an uninstall touches."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from approvals.catalog import CATALOG
from tokens.models import ConnectedAccount, ProviderRevocation

# An active account whose access token ends within this window, without a refresh token to
# renew it, is "expiring": its owner will have to reconnect soon.
EXPIRING_WITHIN = timedelta(days=1)
Status = ConnectedAccount.Status


def _scoped(queryset, teams):
    return queryset if teams is None else queryset.filter(team__in=teams)


def connections_health_panel(*, teams: Any) -> dict:
    """Per integration: how many accounts are active, expiring, need a reconnect, revoked."""
    soon = timezone.now() + EXPIRING_WITHIN
    expiring = Q(status=Status.ACTIVE, expires_at__lte=soon, refresh_token__isnull=True)
    counts = {
        row["integration"]: row
        for row in _scoped(ConnectedAccount.objects.all(), teams).values("integration").annotate(
            active=Count("pk", filter=Q(status=Status.ACTIVE) & ~expiring),
            expiring=Count("pk", filter=expiring),
            needs_reconnect=Count("pk", filter=Q(status=Status.NEEDS_RECONNECT)),
            revoked=Count("pk", filter=Q(status=Status.REVOKED)),
        )
    }
    rows = [
        {"key": key, "name": entry.name,
         **{name: counts.get(key, {}).get(name, 0)
            for name in ("active", "expiring", "needs_reconnect", "revoked")}}
        for key, entry in CATALOG.items()
    ]
    return {"template": "admin/tokens/console_connections.html", "connection_rows": rows}


def revocations_waiting_panel(*, teams: Any) -> dict:
    """Provider revocations that failed at least once and wait for their next try."""
    waiting = list(
        _scoped(ProviderRevocation.objects.filter(attempts__gt=0), teams)
        .select_related("team").order_by("next_attempt_at")[:20]
    )
    return {"template": "admin/tokens/console_revocations.html", "revocations": waiting}


def account_holders(*, team: Any, integration: str) -> list[str]:
    """Usernames of the team's members holding an unrevoked account for the integration."""
    return list(
        ConnectedAccount.objects.filter(team=team, integration=integration)
        .exclude(status=Status.REVOKED).values_list("user__username", flat=True)
    )
