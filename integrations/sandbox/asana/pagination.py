"""Asana's offset pagination.

https://developers.asana.com/docs/pagination: `limit` (1..100) asks for a page; the response then
carries `next_page` = {offset, path, uri}, or null on the last page. Without `limit`, the
"grandfathered" list endpoints return everything and no `next_page` key. Offsets are opaque tokens
that only work for the request that produced them; here they are HMAC-signed and bound to the
endpoint path, so a forged, stale or foreign offset is a 400 like in Asana.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

from integrations.sandbox.asana import errors
from integrations.sandbox.asana.errors import AsanaError
from integrations.sandbox.base import Request

MAX_LIMIT = 100
API_PREFIX = "/api/1.0"


def parse_limit(request: Request) -> int | None:
    raw = request.arg("limit")
    if raw is None or raw == "":
        return None
    try:
        limit = int(raw)
    except ValueError as error:
        raise AsanaError(400, errors.LIMIT_OUT_OF_RANGE) from error
    if not 1 <= limit <= MAX_LIMIT:
        raise AsanaError(400, errors.LIMIT_OUT_OF_RANGE)
    return limit


class Paginator:
    """Cuts a list into Asana pages; `secret` signs the offsets of this simulator run."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self.secret, payload, hashlib.sha256).hexdigest()[:32]

    def encode_offset(self, path: str, index: int) -> str:
        payload = json.dumps({"p": path, "i": index}, separators=(",", ":")).encode()
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{body}.{self._sign(payload)}"

    def decode_offset(self, path: str, offset: str) -> int:
        try:
            body, signature = offset.rsplit(".", 1)
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            data = json.loads(payload)
        except (ValueError, TypeError) as error:
            raise AsanaError(400, errors.INVALID_OFFSET) from error
        if not hmac.compare_digest(signature, self._sign(payload)) or data.get("p") != path:
            raise AsanaError(400, errors.INVALID_OFFSET)
        return int(data["i"])

    def page(
        self, request: Request, items: list[Any], *, base_url: str, default_limit: int | None = None
    ) -> tuple[list[Any], dict | None, bool]:
        """(page items, next_page, paginated?) for the request's limit and offset."""
        limit = parse_limit(request) or default_limit
        api_path = request.path.removeprefix(API_PREFIX)
        offset = request.arg("offset")
        start = self.decode_offset(api_path, offset) if offset else 0
        if limit is None:
            return items[start:], None, False
        end = start + limit
        if end >= len(items):
            return items[start:end], None, True
        token = self.encode_offset(api_path, end)
        query = [(key, values[0]) for key, values in request.query.items() if key != "offset"]
        if not any(key == "limit" for key, _ in query):
            query.append(("limit", str(limit)))
        query.append(("offset", token))
        next_path = f"{api_path}?{urlencode(query)}"
        next_page = {
            "offset": token,
            "path": next_path,
            "uri": f"{base_url}{API_PREFIX}{next_path}",
        }
        return items[start:end], next_page, True


def list_body(data: list[Any], next_page: dict | None, paginated: bool) -> dict:
    body: dict[str, Any] = {"data": data}
    if paginated:
        body["next_page"] = next_page
    return body
