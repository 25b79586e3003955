"""Receiving Asana webhooks: the X-Hook-Secret handshake and the signature check.

https://developers.asana.com/reference/createwebhook: while `POST /webhooks` is in flight,
Asana POSTs to the target with an `X-Hook-Secret` header; the target answers 200 (or 204) with
the same header, and keeps the secret. https://developers.asana.com/docs/webhooks-guide: every
later delivery is `{"events": [...]}` with `X-Hook-Signature`, the hex HMAC-SHA256 of the raw
body keyed with that secret. The receiving view (cards) calls `handshake_secret()` /
`handshake_headers()` and `verify_signature()`; the events are parsed by
`cards.webhooks.webhook_events_parse`. This module keeps no state.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

SECRET_HEADER = "X-Hook-Secret"
SIGNATURE_HEADER = "X-Hook-Signature"


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
