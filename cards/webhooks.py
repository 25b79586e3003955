"""Provider webhooks that keep cards fresh: subscribe, handshake, verify, apply deliveries.

Asana (https://developers.asana.com/docs/webhooks-guide): `POST /webhooks` makes Asana POST the
target with `X-Hook-Secret`; the target stores it and echoes it. Later deliveries carry
`X-Hook-Signature`, the HMAC-SHA256 of the body keyed with that secret. The target URL names
a `WebhookSubscription` row; the row exists (committed) before the provider is asked, because the
handshake arrives while the subscription request is in flight.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from approvals.models import Team
from cards import errors
from cards.conf import cards_settings
from cards.models import WebhookSubscription
from cards.provider_calls import account_for, provider_call, provider_for
from cards.selectors import cards_of_ticket
from config.errors import ApplicationError

logger = logging.getLogger(__name__)

# Integrations whose webhooks Conduit subscribes to per container.
WEBHOOK_INTEGRATIONS = frozenset({"asana"})
# Asana event actions (https://developers.asana.com/reference/events): which ones refetch.
REFETCH_ACTIONS = frozenset({"changed", "added", "undeleted"})
GONE_ACTIONS = frozenset({"deleted"})
TICKET_DELETED = "{integration} says this task was deleted."
NO_HANDSHAKE = "The provider accepted the webhook but its handshake never reached Conduit."


def webhook_target_url(subscription: WebhookSubscription, base_url: str) -> str:
    path = reverse(f"cards-webhooks:{subscription.integration}", args=[subscription.pk])
    return base_url.rstrip("/") + path


def webhook_subscription_request(
    *, team: Team, integration: str, container_id: str, user: AbstractBaseUser,
    base_url: str | None,
) -> None:
    """Ask (after the current transaction commits, in a task) for a webhook on the container."""
    if integration not in WEBHOOK_INTEGRATIONS or not container_id:
        return
    base_url = cards_settings.CONDUIT_PUBLIC_URL or base_url
    if not base_url:
        logger.info("No public URL for webhooks: %s container not watched", integration)
        return
    from cards.tasks import webhook_subscribe_task

    arguments = {"team_id": team.pk, "integration": integration, "container_id": container_id,
                 "user_id": user.pk, "base_url": base_url}
    transaction.on_commit(lambda: webhook_subscribe_task.delay(**arguments))


def _claim(*, team: Team, integration: str, container_id: str,
           user: AbstractBaseUser) -> WebhookSubscription | None:
    """The subscription row to (re)start a handshake on, or None when one is active or in
    flight. Committed before returning: the provider's handshake reads it from another request."""
    window = timedelta(seconds=cards_settings.CARDS_WEBHOOK_HANDSHAKE_SECONDS)
    now = timezone.now()
    try:
        with transaction.atomic():
            subscription, created = WebhookSubscription.objects.select_for_update().get_or_create(
                team=team, integration=integration, container_id=container_id,
                defaults={"subscribed_by": user, "handshake_started_at": now},
            )
            if created:
                return subscription
            in_flight = (
                subscription.status == WebhookSubscription.Status.PENDING
                and subscription.handshake_started_at is not None
                and subscription.handshake_started_at > now - window
            )
            if subscription.status == WebhookSubscription.Status.ACTIVE or in_flight:
                return None
            subscription.subscribed_by = user
            subscription.status = WebhookSubscription.Status.PENDING
            subscription.secret = None
            subscription.provider_webhook_id = ""
            subscription.handshake_started_at = now
            subscription.save()
            return subscription
    except IntegrityError:
        return None  # another request created it at the same moment and is subscribing


def webhook_subscribe(
    *, team: Team, integration: str, container_id: str, user: AbstractBaseUser, base_url: str
) -> WebhookSubscription | None:
    """Subscribe the team to the container's changes with the user's account. Idempotent: an
    active or in-flight subscription is left alone. A failure is recorded on the row (status
    failed, last_error) and logged; it never undoes the import that asked for it."""
    subscription = _claim(team=team, integration=integration, container_id=container_id,
                          user=user)
    if subscription is None:
        return None
    provider = provider_for(integration)
    target_url = webhook_target_url(subscription, base_url)
    try:
        account = account_for(user=user, team=team, integration=integration)
        answer: dict[str, Any] = provider_call(
            account=account, integration=integration,
            call=lambda credentials: provider.webhook_subscribe(
                credentials, container_id=container_id, target_url=target_url
            ),
        )
    except ApplicationError as error:
        subscription.status = WebhookSubscription.Status.FAILED
        subscription.last_error = error.message
        subscription.save(update_fields=["status", "last_error"])
        logger.warning("Webhook subscription %s failed: %s", subscription.pk, error.code)
        return subscription
    subscription.refresh_from_db(fields=["secret"])
    if subscription.secret is None and answer.get("secret"):
        subscription.secret = str(answer["secret"])
    subscription.provider_webhook_id = str(answer.get("id") or "")
    if subscription.secret is None:
        # Subscribed but no handshake reached this row: deliveries could never be verified.
        subscription.status = WebhookSubscription.Status.FAILED
        subscription.last_error = NO_HANDSHAKE
        subscription.save(update_fields=["provider_webhook_id", "status", "last_error"])
        _unsubscribe_quietly(provider=provider, account=account, integration=integration,
                             webhook_id=subscription.provider_webhook_id)
        return subscription
    subscription.status = WebhookSubscription.Status.ACTIVE
    subscription.last_error = ""
    subscription.save(update_fields=["secret", "provider_webhook_id", "status", "last_error"])
    return subscription


def _unsubscribe_quietly(*, provider: Any, account: Any, integration: str, webhook_id: str) -> None:
    if not webhook_id:
        return
    try:
        provider_call(account=account, integration=integration,
                      call=lambda credentials: provider.webhook_unsubscribe(credentials, webhook_id))
    except ApplicationError as error:
        logger.warning("Could not delete webhook %s: %s", webhook_id, error.code)


def webhook_handshake(*, subscription: WebhookSubscription, secret: str) -> bool:
    """Store the provider's X-Hook-Secret: only for a pending subscription inside its handshake
    window and only once, so nobody can replace the secret of a live subscription."""
    window = timedelta(seconds=cards_settings.CARDS_WEBHOOK_HANDSHAKE_SECONDS)
    secret = (secret or "").strip()
    if not secret or len(secret) > 512:
        return False
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        if (
            locked.status != WebhookSubscription.Status.PENDING
            or locked.secret is not None
            or locked.handshake_started_at is None
            or locked.handshake_started_at <= timezone.now() - window
        ):
            return False
        locked.secret = secret
        locked.save(update_fields=["secret"])
    return True


def webhook_events_parse(payload: Any) -> tuple[list[str], list[str]]:
    """(ticket ids to refetch, ticket ids deleted) from an Asana delivery body."""
    refetch: dict[str, None] = {}
    gone: dict[str, None] = {}
    events = payload.get("events") if isinstance(payload, dict) else None
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict):
            continue
        resource = event.get("resource")
        if not isinstance(resource, dict) or resource.get("resource_type") != "task":
            continue
        gid = str(resource.get("gid") or "")
        if not gid:
            continue
        action = event.get("action")
        if action in GONE_ACTIONS:
            gone[gid] = None
            refetch.pop(gid, None)
        elif action in REFETCH_ACTIONS:
            refetch[gid] = None
            gone.pop(gid, None)
    return list(refetch), list(gone)


def webhook_events_apply(
    *, subscription: WebhookSubscription, refetch: list[str], gone: list[str]
) -> int:
    """Update the team's cards of the changed tickets, fetched with the subscriber's account;
    returns how many cards changed. A ticket the subscriber cannot fetch marks its cards'
    sync_error instead."""
    from cards.services import card_refresh_from_tickets

    integration = subscription.integration
    WebhookSubscription.objects.filter(pk=subscription.pk).update(last_delivery_at=timezone.now())
    changed = 0
    if gone:
        message = TICKET_DELETED.format(integration=subscription.get_integration_display())
        changed += cards_of_ticket(
            team=subscription.team, integration=integration, external_ids=gone
        ).update(sync_error=message)
    cards = list(cards_of_ticket(team=subscription.team, integration=integration,
                                 external_ids=refetch))
    if not cards:
        return changed
    provider = provider_for(integration)
    account = account_for(user=subscription.subscribed_by, team=subscription.team,
                          integration=integration)
    tickets = {}
    for external_id in sorted({card.external_id for card in cards}):
        try:
            tickets[external_id] = provider_call(
                account=account, integration=integration,
                call=lambda credentials, external_id=external_id: (
                    provider.fetch_ticket_summary(credentials, external_id)
                ),
            )
        except errors.ProviderRefused as error:
            cards_of_ticket(team=subscription.team, integration=integration,
                            external_ids=[external_id]).update(sync_error=error.message)
    return changed + card_refresh_from_tickets(cards=cards, tickets=tickets)
