"""When a member leaves a team, their webhook subscriptions must not keep using their account.

Registered with approvals' member-leaving hook (cards.apps): each subscription the member made
for the team moves to another member of the team with an active account for that integration
(later deliveries refetch with that account), or, when nobody else is connected, is deleted at
the provider with the leaving member's still valid account and removed here.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from approvals.models import Team
from cards.models import WebhookSubscription
from cards.provider_calls import account_for, provider_call, provider_for
from config.errors import ApplicationError

logger = logging.getLogger(__name__)


def _successor(*, team: Team, integration: str, leaving: Any) -> Any | None:
    """Another member of the team with usable credentials for the integration, or None."""
    from tokens.models import ConnectedAccount

    account = (
        ConnectedAccount.objects.filter(
            team=team, integration=integration, status=ConnectedAccount.Status.ACTIVE,
            access_token__isnull=False, user__memberships__team=team,
        )
        .exclude(user=leaving).select_related("user").order_by("created_at").first()
    )
    return account.user if account is not None else None


def _delete_at_provider(subscription: WebhookSubscription, *, user: Any) -> None:
    if not subscription.provider_webhook_id:
        return
    integration = subscription.integration
    try:
        provider = provider_for(integration)
        account = account_for(user=user, team=subscription.team, integration=integration)
        provider_call(account=account, integration=integration,
                      call=lambda credentials: provider.webhook_unsubscribe(
                          credentials, subscription.provider_webhook_id))
    except ApplicationError as error:
        # The row goes all the same: nobody's token serves it any more, and the provider drops
        # a webhook whose deliveries keep failing.
        logger.warning("Could not delete webhook %s at %s: %s",
                       subscription.provider_webhook_id, integration, error.code)


def webhook_subscriptions_hand_over(*, team: Team, user: Any, acting_user: Any) -> int:
    """Move or remove every subscription `user` made for `team`; how many were moved."""
    moved = 0
    subscriptions = WebhookSubscription.objects.filter(team=team, subscribed_by=user)
    for subscription in subscriptions.select_related("team"):
        successor = _successor(team=team, integration=subscription.integration, leaving=user)
        if successor is not None:
            with transaction.atomic():
                WebhookSubscription.objects.filter(pk=subscription.pk).update(
                    subscribed_by=successor)
            moved += 1
            continue
        _delete_at_provider(subscription, user=user)
        subscription.delete()
    return moved
