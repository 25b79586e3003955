"""Receiving Asana webhooks: the X-Hook-Secret handshake, the signature check, the events.

https://developers.asana.com/reference/createwebhook: while `POST /webhooks` is in flight,
Asana POSTs to the target with an `X-Hook-Secret` header; the target answers 200 (or 204) with
the same header, and keeps the secret. https://developers.asana.com/docs/webhooks-guide: every
later delivery is `{"events": [...]}` with `X-Hook-Signature`, the hex HMAC-SHA256 of the raw
body keyed with that secret. The receiving view (cards) calls `handshake_secret()` /
`handshake_headers()` and `verify_signature()`, then `changed_task_gids()`; this module keeps
no state.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from config.inputs import json_loads_bounded

SECRET_HEADER = "X-Hook-Secret"
SIGNATURE_HEADER = "X-Hook-Signature"
TASK_ACTIONS = frozenset({"added", "changed", "removed", "deleted", "undeleted"})
MALFORMED_EVENTS = 'The webhook body is not Asana\'s {"events": [...]}'


class MalformedWebhook(ValueError):
    """The body is not an Asana event delivery."""


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


def parse_events(body: bytes) -> list[dict[str, Any]]:
    """The events of a delivery; raises MalformedWebhook when the body is something else."""
    try:
        payload = json_loads_bounded(body or b"{}")
    except ValueError as error:
        raise MalformedWebhook(MALFORMED_EVENTS) from error
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        raise MalformedWebhook(MALFORMED_EVENTS)
    return [event for event in events if isinstance(event, dict)]


def changed_task_gids(body: bytes) -> list[str]:
    """The gids of the tasks an event delivery is about, first mention first, no repeats.

    Only events whose resource is a task count (a comment or a project change leaves the card's
    fields as they are); a deleted task is listed too, and its fetch answers 404.
    """
    gids: list[str] = []
    for event in parse_events(body):
        resource = event.get("resource") or {}
        if not isinstance(resource, dict) or resource.get("resource_type") != "task":
            continue
        if event.get("action") not in TASK_ACTIONS:
            continue
        gid = str(resource.get("gid") or "")
        if gid and gid not in gids:
            gids.append(gid)
    return gids
