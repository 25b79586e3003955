"""Jira Server webhooks: the secret carried in the URL, its check, and the delivery's events.

Jira Server signs nothing (https://developer.atlassian.com/server/jira/platform/webhooks/): a
delivery is a JSON POST of `{"timestamp", "webhookEvent", "issue_event_type_name", "user",
"issue", "changelog"}` to the URL registered. So the URL itself carries the proof: a random
per-connection secret (`secrets.token_urlsafe`, derived from no key) after the subscription id,
`/webhooks/jira_server/<connection id>.<secret>` (cards' one webhook path; the subscription id
is the connection's), compared in constant time. `webhook_receive` is the provider's
`WebhookReceiver`: the delivered issue comes back whole, so cards stores it without a fetch.
Until the next release the form registered before, `/webhooks/jira/<connection id hex>.<secret>`,
is accepted too (cards.webhook_urls).
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from config.inputs import json_loads_bounded
from integrations.errors import WebhookRefused
from integrations.jira_server import mapping
from integrations.jira_server.context import ServerContext
from integrations.providers import WebhookChanges, WebhookSubscriptionInfo

SECRET_BYTES = 32
UPDATE_EVENTS = frozenset({"jira:issue_created", "jira:issue_updated"})
DELETE_EVENTS = frozenset({"jira:issue_deleted"})
# The same answer for an unknown subscription and a wrong secret: the endpoint says nothing
# about which connections exist.
UNKNOWN_WEBHOOK = "unknown webhook"
BAD_BODY = "body is not JSON"


def secret_generate() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def hook_id(connection_id: uuid.UUID, secret: str) -> str:
    """The last path segment of the form registered before one webhook path,
    `/webhooks/jira/<connection id hex>.<secret>` (deprecated, still accepted)."""
    return f"{connection_id.hex}.{secret}"


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


def webhook_receive(*, headers: Mapping[str, str], body: bytes,
                    subscription: WebhookSubscriptionInfo, url_token: str = "") -> WebhookChanges:
    """The issue a delivery created, updated (carried whole) or deleted, when the URL's secret
    is the subscription's and the subscription is the team's current connection's (a removed
    connection's deliveries are refused); WebhookRefused otherwise."""
    server = subscription.connection
    if (
        not isinstance(server, ServerContext)
        or server.connection_id != subscription.container_id
        or not secret_matches(subscription.secret, url_token)
    ):
        raise WebhookRefused(UNKNOWN_WEBHOOK, code="not_found", status=404)
    try:
        payload = json_loads_bounded(body or b"null")
    except ValueError:
        raise WebhookRefused(BAD_BODY, code="invalid", status=400) from None
    event = issue_event(payload)
    if event is None:
        return WebhookChanges()
    if event.deletes:
        return WebhookChanges(removed=(event.issue_key,))
    if not event.updates or event.issue is None:
        return WebhookChanges()
    return WebhookChanges(tickets=(mapping.issue_to_ticket(event.issue, base_url=server.base_url),))
