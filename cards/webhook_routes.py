"""The subscription rows of webhooks a provider's console registers itself (Jira Server's, one
per server), kept from the provider's announcements (integrations.providers.webhook_routes;
connected in cards.apps), so their deliveries take cards' one webhook path too."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from approvals.models import Team
from cards.models import WebhookSubscription
from integrations.providers import is_provider

UNKNOWN_PROVIDER = "No enabled provider {key!r} for a webhook route"


def webhook_route_store(*, integration: str, team: Team, subscription_id: uuid.UUID | str,
                        container_id: str, secret: str | None) -> WebhookSubscription:
    """Create or update the active, member-less subscription `subscription_id` of the team
    (idempotent). Its deliveries are verified with `secret` and carry their tickets whole."""
    if not is_provider(integration):
        raise ValueError(UNKNOWN_PROVIDER.format(key=integration))
    with transaction.atomic():
        subscription = (WebhookSubscription.objects.select_for_update()
                        .filter(pk=subscription_id).first())
        if subscription is None:
            subscription = WebhookSubscription(id=subscription_id)
        subscription.team = team
        subscription.integration = integration
        subscription.container_id = container_id
        subscription.subscribed_by = None
        subscription.status = WebhookSubscription.Status.ACTIVE
        subscription.last_error = ""
        subscription.secret = secret
        subscription.save()
    return subscription


def webhook_route_remove(*, integration: str, team: Team,
                         subscription_id: uuid.UUID | str) -> None:
    WebhookSubscription.objects.filter(pk=subscription_id, team=team,
                                       integration=integration).delete()


def route_published(sender: str, *, team: Any, subscription_id: Any, container_id: str,
                    secret: str | None, **kwargs: Any) -> None:
    webhook_route_store(integration=sender, team=team, subscription_id=subscription_id,
                        container_id=container_id, secret=secret)


def route_withdrawn(sender: str, *, team: Any, subscription_id: Any, **kwargs: Any) -> None:
    webhook_route_remove(integration=sender, team=team, subscription_id=subscription_id)
