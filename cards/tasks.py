"""Celery tasks of the cards app: webhook subscription and delivery processing, off the request."""

from __future__ import annotations

import logging

from celery import shared_task
from django.contrib.auth import get_user_model

from approvals.models import Team
from cards.models import WebhookSubscription
from config.errors import ApplicationError

logger = logging.getLogger(__name__)


@shared_task(name="cards.webhook_subscribe")
def webhook_subscribe_task(*, team_id: int, integration: str, container_id: str, user_id: int,
                           base_url: str) -> str | None:
    from cards.webhooks import webhook_subscribe

    team = Team.objects.filter(pk=team_id).first()
    user = get_user_model().objects.filter(pk=user_id).first()
    if team is None or user is None:
        return None
    subscription = webhook_subscribe(team=team, integration=integration,
                                     container_id=container_id, user=user, base_url=base_url)
    return str(subscription.pk) if subscription is not None else None


@shared_task(name="cards.webhook_events_apply")
def webhook_events_apply_task(*, subscription_id: str, refetch: list[str],
                              gone: list[str]) -> int:
    from cards.webhooks import webhook_events_apply

    subscription = (
        WebhookSubscription.objects.filter(pk=subscription_id)
        .select_related("team", "subscribed_by")
        .first()
    )
    if subscription is None:
        return 0
    try:
        return webhook_events_apply(subscription=subscription, refetch=refetch, gone=gone)
    except ApplicationError as error:
        # The subscriber can no longer read the tool (disconnected, uninstalled): the next
        # import by a connected member subscribes again.
        logger.warning("Webhook delivery %s not applied: %s", subscription_id, error.code)
        return 0
