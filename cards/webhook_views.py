"""POST /webhooks/asana/<subscription id>: Asana's handshake and signed deliveries.

No session, no CSRF: the provider authenticates by the HMAC signature of each body (and, once,
by the handshake on a subscription that is waiting for it). A bad signature changes nothing.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cards.models import WebhookSubscription
from cards.selectors import webhook_subscription_get
from cards.webhooks import webhook_events_parse, webhook_handshake
from config.errors import error_body
from config.inputs import json_loads_bounded

UNKNOWN_SUBSCRIPTION = "There is no such webhook subscription."
HANDSHAKE_REFUSED = "This subscription is not waiting for a handshake."
BAD_SIGNATURE = "The delivery's X-Hook-Signature does not match its body."
BAD_BODY = "The delivery's body is not JSON."
MAX_BODY_BYTES = 1024 * 1024


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


@csrf_exempt
@require_POST
def asana_webhook(request: HttpRequest, subscription_id: uuid.UUID) -> HttpResponse:
    from integrations.asana.webhooks import verify_signature

    subscription = webhook_subscription_get(subscription_id=str(subscription_id),
                                            integration="asana")
    if subscription is None:
        return _error("not_found", UNKNOWN_SUBSCRIPTION, 404)
    secret = request.headers.get("X-Hook-Secret")
    if secret is not None:
        # https://developers.asana.com/docs/webhooks-guide#the-webhook-handshake
        if not webhook_handshake(subscription=subscription, secret=secret):
            return _error("handshake_refused", HANDSHAKE_REFUSED, 403)
        response = HttpResponse(status=200)
        response["X-Hook-Secret"] = secret
        return response
    signature = request.headers.get("X-Hook-Signature", "")
    body = request.body
    if (
        subscription.secret is None
        or subscription.status == WebhookSubscription.Status.FAILED
        or len(body) > MAX_BODY_BYTES
        or not verify_signature(subscription.secret, body, signature)
    ):
        return _error("bad_signature", BAD_SIGNATURE, 401)
    try:
        payload = json_loads_bounded(body or b"{}")
    except ValueError:
        return _error("invalid", BAD_BODY, 400)
    refetch, gone = webhook_events_parse(payload)
    if refetch or gone:
        from cards.tasks import webhook_events_apply_task

        arguments = {"subscription_id": str(subscription.pk), "refetch": refetch, "gone": gone}
        transaction.on_commit(lambda: webhook_events_apply_task.delay(**arguments))
    return HttpResponse(status=200)
