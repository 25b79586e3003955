"""Jira Server webhooks: the secret-bearing receiver id, its check, and the delivery's events.

Jira Server signs nothing (https://developer.atlassian.com/server/jira/platform/webhooks/): a
delivery is a JSON POST of `{"timestamp", "webhookEvent", "issue_event_type_name", "user",
"issue", "changelog"}` to the URL registered. So the URL itself carries the proof: the
connection's id and a random per-connection secret (`secrets.token_urlsafe`, derived from no
key), `/webhooks/jira/<connection id hex>.<secret>`, compared in constant time.
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

SECRET_BYTES = 32
HOOK_ID = re.compile(r"^(?P<connection>[0-9a-f]{32})\.(?P<secret>[A-Za-z0-9_-]{16,128})$")
UPDATE_EVENTS = frozenset({"jira:issue_created", "jira:issue_updated"})
DELETE_EVENTS = frozenset({"jira:issue_deleted"})


def secret_generate() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def hook_id(connection_id: uuid.UUID, secret: str) -> str:
    return f"{connection_id.hex}.{secret}"


def hook_id_split(value: str) -> tuple[uuid.UUID, str] | None:
    match = HOOK_ID.match(value or "")
    if match is None:
        return None
    return uuid.UUID(hex=match["connection"]), match["secret"]


def secret_matches(expected: str | None, given: str) -> bool:
    if not expected:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


@dataclass(frozen=True)
class IssueEvent:
    event: str
    issue_key: str
    issue: dict[str, Any] | None

    @property
    def updates(self) -> bool:
        return self.event in UPDATE_EVENTS and self.issue is not None

    @property
    def deletes(self) -> bool:
        return self.event in DELETE_EVENTS


def issue_event(payload: Any) -> IssueEvent | None:
    """The issue event of a delivery, or None for anything else (a project event, no body)."""
    if not isinstance(payload, dict):
        return None
    event = str(payload.get("webhookEvent") or "")
    issue = payload.get("issue")
    if not event.startswith("jira:issue_") or not isinstance(issue, dict):
        return None
    key = str(issue.get("key") or "")
    if not key:
        return None
    return IssueEvent(event=event, issue_key=key,
                      issue=issue if isinstance(issue.get("fields"), dict) else None)
