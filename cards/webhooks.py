"""Provider webhooks that keep cards fresh: subscribe, handshake, apply verified deliveries.

Every delivery arrives at one path, `/webhooks/<provider>/<subscription id>` (webhook_views);
the provider verifies and parses it (`WebhookReceiver.webhook_receive`), and this module applies
the answer. Asana (https://developers.asana.com/docs/webhooks-guide): `POST /webhooks` makes
Asana POST the target with `X-Hook-Secret`; the target stores it and echoes it. The target URL
names a `WebhookSubscription` row; the row exists (committed) before the provider is asked,
because the handshake arrives while the subscription request is in flight. Webhooks that a
provider's console registers itself (Jira Server's) get their row from webhook_routes.
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
from integrations.providers import (
    Provider,
    WebhookChanges,
    WebhookReceiver,
    WebhookSubscriptionInfo,
    WebhookSubscriptions,
    get_provider,
    supports,
)

logger = logging.getLogger(__name__)

TICKET_DELETED = "{integration} says this task was deleted."
NO_HANDSHAKE = "The provider accepted the webhook but its handshake never reached Conduit."


def webhook_target_url(subscription: WebhookSubscription, base_url: str) -> str:
    path = reverse("cards-webhooks:delivery", args=[subscription.integration, subscription.pk])
    return base_url.rstrip("/") + path


def _subscribes_per_container(integration: str) -> bool:
    """Whether importing a container subscribes to its changes: the provider can subscribe
    and can verify what it then delivers."""
    return supports(integration, WebhookSubscriptions) and supports(integration, WebhookReceiver)


def webhook_subscription_request(
    *, team: Team, integration: str, container_id: str, user: AbstractBaseUser,
    base_url: str | None,
) -> None:
    """Ask (after the current transaction commits, in a task) for a webhook on the container."""
    if not container_id or not _subscribes_per_container(integration):
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


def webhook_receiver_for(integration: str) -> Provider | None:
    """The enabled provider that verifies deliveries of this key, or None (the path is 404)."""
    try:
        provider = get_provider(integration)
    except LookupError:
        return None
    return provider if supports(provider, WebhookReceiver) else None


def webhook_subscription_info(*, subscription: WebhookSubscription,
                              provider: Provider) -> WebhookSubscriptionInfo:
    """What the provider's `webhook_receive` may know of the row (never the row itself)."""
    window = timedelta(seconds=cards_settings.CARDS_WEBHOOK_HANDSHAKE_SECONDS)
    accepts_handshake = (
        subscription.status == WebhookSubscription.Status.PENDING
        and subscription.secret is None
        and subscription.handshake_started_at is not None
        and subscription.handshake_started_at > timezone.now() - window
    )
    connection = (provider.connection_for(subscription.team)
                  if provider.manifest.needs_connection else None)
    return WebhookSubscriptionInfo(
        id=str(subscription.pk), provider=subscription.integration,
        container_id=subscription.container_id, status=subscription.status,
        secret=subscription.secret, accepts_handshake=accepts_handshake, connection=connection,
    )


def webhook_changes_accept(*, subscription: WebhookSubscription, changes: WebhookChanges) -> int:
    """Apply a verified delivery: deleted tickets mark their cards' sync_error and tickets
    delivered whole are stored at once (no provider call); tickets to refetch are read in a
    task after the commit, with the subscriber's account. Returns how many cards changed now.
    Only the subscription's team's cards of the subscription's provider are touched."""
    from cards.services import card_refresh_from_tickets
    from cards.tasks import webhook_events_apply_task

    team, integration = subscription.team, subscription.integration
    WebhookSubscription.objects.filter(pk=subscription.pk).update(last_delivery_at=timezone.now())
    changed = _tickets_gone(subscription=subscription, external_ids=list(changes.removed))
    delivered = {ticket.external_id: ticket for ticket in changes.tickets
                 if ticket.provider == integration and ticket.external_id}
    if delivered:
        cards = list(cards_of_ticket(team=team, integration=integration,
                                     external_ids=list(delivered)))
        changed += card_refresh_from_tickets(cards=cards, tickets=delivered)
    refetch = [external_id for external_id in changes.changed if external_id not in delivered]
    if refetch:
        arguments = {"subscription_id": str(subscription.pk), "refetch": refetch, "gone": []}
        transaction.on_commit(lambda: webhook_events_apply_task.delay(**arguments))
    return changed


def _tickets_gone(*, subscription: WebhookSubscription, external_ids: list[str]) -> int:
    if not external_ids:
        return 0
    message = TICKET_DELETED.format(integration=subscription.get_integration_display())
    return cards_of_ticket(team=subscription.team, integration=subscription.integration,
                           external_ids=external_ids).update(sync_error=message)


def webhook_events_apply(
    *, subscription: WebhookSubscription, refetch: list[str], gone: list[str]
) -> int:
    """Update the team's cards of the changed tickets, each read with the subscriber's account
    under its cards' locks (card_refresh_from_tickets); returns how many cards changed. A
    ticket the subscriber cannot fetch marks its cards' sync_error instead. `gone` is what
    tasks queued before the one webhook path still carry."""
    from cards.services import card_refresh_from_tickets

    integration = subscription.integration
    WebhookSubscription.objects.filter(pk=subscription.pk).update(last_delivery_at=timezone.now())
    changed = _tickets_gone(subscription=subscription, external_ids=gone)
    cards = list(cards_of_ticket(team=subscription.team, integration=integration,
                                 external_ids=refetch))
    if not cards:
        return changed
    if subscription.subscribed_by is None:
        logger.warning("Webhook %s names tickets to refetch but has no subscriber",
                       subscription.pk)
        return changed
    provider = provider_for(integration)
    account = account_for(user=subscription.subscribed_by, team=subscription.team,
                          integration=integration)

    def fetch(external_id: str) -> Any:
        try:
            return provider_call(
                account=account, integration=integration,
                call=lambda credentials: provider.fetch_ticket_summary(credentials, external_id),
            )
        except errors.ProviderRefused as error:
            cards_of_ticket(team=subscription.team, integration=integration,
                            external_ids=[external_id]).update(sync_error=error.message)
            return None

    return changed + card_refresh_from_tickets(cards=cards, fetch=fetch)
