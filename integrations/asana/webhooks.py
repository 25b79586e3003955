"""Receiving Asana webhooks: the X-Hook-Secret handshake, the signature check and the events.

https://developers.asana.com/reference/createwebhook: while `POST /webhooks` is in flight,
Asana POSTs to the target with an `X-Hook-Secret` header; the target answers 200 (or 204) with
the same header, and keeps the secret. https://developers.asana.com/docs/webhooks-guide: every
later delivery is `{"events": [...]}` with `X-Hook-Signature`, the hex HMAC-SHA256 of the raw
body keyed with that secret. `webhook_receive` is the provider's `WebhookReceiver`: cards'
one webhook view calls it and applies its answer. This module keeps no state.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from config.inputs import json_loads_bounded
from integrations.errors import WebhookRefused
from integrations.providers import (
    WebhookAnswer,
    WebhookChanges,
    WebhookHandshake,
    WebhookSubscriptionInfo,
)

SECRET_HEADER = "X-Hook-Secret"
SIGNATURE_HEADER = "X-Hook-Signature"
# Asana event actions (https://developers.asana.com/reference/events): which ones refetch.
# "removed" (a task taken out of a project) is neither: the task still exists, its card stays.
REFETCH_ACTIONS = frozenset({"changed", "added", "undeleted"})
GONE_ACTIONS = frozenset({"deleted"})
HANDSHAKE_REFUSED = "This subscription is not waiting for a handshake."
BAD_SIGNATURE = "The delivery's X-Hook-Signature does not match its body."
BAD_BODY = "The delivery's body is not JSON."
FAILED_STATUS = "failed"


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        lower = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lower), None)
    return str(value or "")


def handshake_secret(headers: Mapping[str, str]) -> str | None:
    """The secret of a handshake request, or None when the request is an event delivery."""
    return _header(headers, SECRET_HEADER) or None


def handshake_headers(secret: str) -> dict[str, str]:
    """The headers of the handshake answer (status 200): the secret, echoed."""
    return {SECRET_HEADER: secret}


def signature_of(secret: str | bytes, body: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_signature(secret: str | bytes | None, body: bytes, signature: str | None) -> bool:
    """True when `signature` is the hex HMAC-SHA256 of `body` under `secret` (constant time)."""
    if not secret or not signature:
        return False
    expected = signature_of(secret, body)
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())


def events_parse(payload: Any) -> tuple[list[str], list[str]]:
    """(task gids to refetch, task gids deleted) of a delivery body, each once, in the order
    first mentioned; the last event about a task decides between the two."""
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


def webhook_receive(*, headers: Mapping[str, str], body: bytes,
                    subscription: WebhookSubscriptionInfo, url_token: str = "") -> WebhookAnswer:
    """A handshake for a subscription that waits for one, or the changes of a delivery signed
    with the subscription's secret; WebhookRefused otherwise (nothing is changed)."""
    secret = handshake_secret(headers)
    if secret is not None:
        if not subscription.accepts_handshake:
            raise WebhookRefused(HANDSHAKE_REFUSED, code="handshake_refused", status=403)
        return WebhookHandshake(secret=secret, headers=handshake_headers(secret))
    if (
        subscription.secret is None
        or subscription.status == FAILED_STATUS
        or not verify_signature(subscription.secret, body, _header(headers, SIGNATURE_HEADER))
    ):
        raise WebhookRefused(BAD_SIGNATURE, code="bad_signature", status=401)
    try:
        payload = json_loads_bounded(body or b"{}")
    except ValueError:
        raise WebhookRefused(BAD_BODY, code="invalid", status=400) from None
    refetch, gone = events_parse(payload)
    return WebhookChanges(changed=tuple(refetch), removed=tuple(gone))
