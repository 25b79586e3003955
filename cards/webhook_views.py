"""POST /webhooks/<provider>/<subscription id>: every provider's webhook deliveries, one view.

No session, no CSRF: the provider authenticates each delivery (Asana's HMAC signature, Jira's
secret in the URL) inside its package (`WebhookReceiver.webhook_receive`, pure); this view looks
the subscription up, asks the provider, and hands the answer to cards' services (a handshake's
secret is stored, changes are applied). A refused delivery changes nothing and answers the
error envelope; refusals are logged without the path, which can hold a secret.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cards.selectors import webhook_subscription_get
from cards.webhooks import (
    webhook_changes_accept,
    webhook_handshake,
    webhook_receiver_for,
    webhook_subscription_info,
)
from config.errors import error_body
from config.observability.metrics import webhook_deliveries_counted
from integrations.errors import WebhookRefused
from integrations.providers import WebhookHandshake, is_provider

logger = logging.getLogger(__name__)

UNKNOWN_SUBSCRIPTION = "There is no such webhook subscription."
HANDSHAKE_REFUSED = "This subscription is not waiting for a handshake."
BODY_TOO_LARGE = "The delivery's body is larger than {limit} bytes."
MAX_BODY_BYTES = 5 * 1024 * 1024
LEGACY_JIRA_PROVIDER = "jira_server"


@dataclass(frozen=True)
class SubscriptionRef:
    """The path's subscription id and what follows it after a dot (never in a repr)."""

    id: uuid.UUID
    token: str = field(default="", repr=False)


def _refusal(code: str, message: str, status: int) -> JsonResponse:
    logger.warning("Webhook delivery refused (%s): %s", status, message)
    response = JsonResponse(error_body(code, message), status=status)
    response._has_been_logged = True  # django.utils.log.log_response: the path holds secrets
    return response


def _too_large(request: HttpRequest) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES
    except ValueError:
        return False


@require_POST
def _receive(request: HttpRequest, provider_key: str, subscription_ref: SubscriptionRef
             ) -> HttpResponse:
    provider = webhook_receiver_for(provider_key)
    subscription = (webhook_subscription_get(subscription_id=str(subscription_ref.id),
                                             integration=provider_key)
                    if provider is not None else None)
    if provider is None or subscription is None:
        return _refusal("not_found", UNKNOWN_SUBSCRIPTION, 404)
    too_large = _refusal("too_large", BODY_TOO_LARGE.format(limit=MAX_BODY_BYTES), 413)
    if _too_large(request):
        return too_large
    try:
        body = request.body
    except RequestDataTooBig:
        return too_large
    if len(body) > MAX_BODY_BYTES:
        return too_large
    info = webhook_subscription_info(subscription=subscription, provider=provider)
    try:
        answer = provider.webhook_receive(  # type: ignore[attr-defined]
            headers=request.headers, body=body, subscription=info,
            url_token=subscription_ref.token)
    except WebhookRefused as refused:
        return _refusal(refused.code, refused.message, refused.status)
    if isinstance(answer, WebhookHandshake):
        if not webhook_handshake(subscription=subscription, secret=answer.secret):
            return _refusal("handshake_refused", HANDSHAKE_REFUSED, 403)
        response = HttpResponse(status=200)
        for name, value in answer.headers.items():
            response[name] = value
        return response
    changed = webhook_changes_accept(subscription=subscription, changes=answer)
    return JsonResponse({"cards_updated": changed})


@csrf_exempt
def webhook_delivery(request: HttpRequest, provider: str,
                     subscription: SubscriptionRef) -> HttpResponse:
    # Counted under the provider's key only when it is one: a path is no metric label.
    counted_as = provider if is_provider(provider) else "unknown"
    return webhook_deliveries_counted(counted_as)(_receive)(request, provider, subscription)


@csrf_exempt
def webhook_delivery_legacy_jira(request: HttpRequest,
                                 subscription: SubscriptionRef) -> HttpResponse:
    """Deprecated: /webhooks/jira/<connection id hex>.<secret>, Jira's URL before one webhook
    path, is the same delivery (cards.webhook_urls)."""
    return webhook_deliveries_counted(LEGACY_JIRA_PROVIDER)(_receive)(
        request, LEGACY_JIRA_PROVIDER, subscription)
