"""The Tracker provider: manifest and capabilities over client.py (see the package docstring)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from config.inputs import json_loads_bounded
from integrations.errors import ApiNotFound, WebhookRefused
from integrations.providers import (
    AttachmentUpload,
    AuditActionSpec,
    AuthKind,
    Browsing,
    Credentials,
    LinkParsing,
    LinkRef,
    LinkTarget,
    NewTicket,
    Page,
    ProviderManifest,
    Revocation,
    Ticket,
    TicketChanges,
    TicketCreate,
    TicketRead,
    TicketSearch,
    TicketUpdate,
    WebhookAnswer,
    WebhookChanges,
    WebhookReceiver,
    WebhookSubscriptionInfo,
    WebhookSubscriptions,
)
from integrations.providers.oauth2 import OAuth2Provider
from tests.providers.tracker import client as tracker
from tests.providers.tracker.client import TrackerClient
from tests.providers.tracker.conf import tracker_settings

ISSUE_TYPES = [{"id": "issue", "name": "Issue", "fields": []}]  # Tracker asks for nothing more
ISSUE_PATH = re.compile(r"^/issue/(?P<issue>[A-Z]+-[0-9]+)/?$")
SIGNATURE_HEADER = "X-Tracker-Signature"  # hex HMAC-SHA256 of the body under the secret
BAD_SIGNATURE = "The delivery's X-Tracker-Signature does not match its body."
BAD_BODY = "The delivery's body is not JSON."

MANIFEST = ProviderManifest(
    key="tracker",
    name="Tracker",
    plans=frozenset({"business", "enterprise"}),
    auth_kind=AuthKind.OAUTH2,
    capabilities=frozenset({LinkParsing, TicketRead, Browsing, TicketSearch, TicketCreate,
                            TicketUpdate, Revocation, LinkTarget, AttachmentUpload,
                            WebhookSubscriptions, WebhookReceiver}),
    settings=tracker_settings,
    egress_hosts=lambda: [str(tracker_settings.TRACKER_URL)],
    # Its own audit action: the log accepts and labels it with no edit outside this package.
    audit_actions=(AuditActionSpec("tracker.sync", "Tracker synchronised",
                                   "{actor} synchronised {target}"),),
)


def _ticket(issue: dict[str, Any]) -> Ticket:
    assignee = issue.get("assignee") or {}
    return Ticket(provider="tracker", external_id=str(issue["id"]), url=str(issue.get("url", "")),
                  title=str(issue.get("title", "")),
                  description=str(issue.get("description") or ""),
                  assignee_name=str(assignee.get("name") or ""),
                  assignee_email=str(assignee.get("email") or ""),
                  status=str(issue.get("state") or ""),
                  details={"project": issue.get("project")})


class TrackerProvider(OAuth2Provider):
    key = "tracker"
    name = "Tracker"
    manifest = MANIFEST
    oauth_flow = tracker

    def parse_link(self, url: str) -> LinkRef | None:
        parts = urlsplit(str(url).strip())
        app = urlsplit(str(tracker_settings.TRACKER_APP_URL))
        match = ISSUE_PATH.match(parts.path)
        if (parts.scheme, parts.netloc) != (app.scheme, app.netloc) or match is None:
            return None
        return LinkRef(provider=self.key, external_id=match["issue"], url=url)

    def fetch_ticket_summary(self, credentials: Credentials, external_id: str) -> Ticket:
        """One read: the same as fetch_ticket here."""
        return self.fetch_ticket(credentials, external_id)

    def fetch_ticket(self, credentials: Credentials, external_id: str) -> Ticket:
        client = TrackerClient(credentials.access_token)
        return _ticket(client.get(TrackerClient.ISSUE.format(issue=external_id)))

    def list_tickets(self, credentials: Credentials, *, container_id: str,
                     cursor: str | None = None, query: str = "", limit: int = 100) -> Page:
        answer = TrackerClient(credentials.access_token).get(
            TrackerClient.PROJECT_ISSUES.format(project=container_id),
            params={"cursor": cursor or 0, "limit": limit})
        items = [_ticket(issue) for issue in answer["issues"]]
        if query:
            items = [item for item in items if query.casefold() in item.title.casefold()]
        return Page(items=items, next_cursor=answer.get("next"))

    def list_workspaces(self, credentials: Credentials) -> list[dict[str, str]]:
        return TrackerClient(credentials.access_token).get(TrackerClient.WORKSPACES)["workspaces"]

    def list_containers(self, credentials: Credentials, *,
                        workspace_id: str) -> list[dict[str, str]]:
        return TrackerClient(credentials.access_token).get(
            TrackerClient.PROJECTS.format(workspace=workspace_id))["projects"]

    def search_tickets(self, credentials: Credentials, *, workspace_id: str, query: str) -> Page:
        answer = TrackerClient(credentials.access_token).get(
            TrackerClient.SEARCH.format(workspace=workspace_id), params={"q": query})
        return Page(items=[_ticket(issue) for issue in answer["issues"]])

    def create_ticket(self, credentials: Credentials, new: NewTicket) -> Ticket:
        return _ticket(TrackerClient(credentials.access_token).post(TrackerClient.ISSUES, json={
            "project": new.container_id, "title": new.title, "description": new.description}))

    def update_ticket(self, credentials: Credentials, external_id: str,
                      changes: TicketChanges) -> Ticket:
        names = {"title": "title", "description": "description", "completed": "state"}
        data = {names[name]: value for name, value in changes.as_dict().items()}
        if "state" in data:
            data["state"] = "done" if data["state"] else "open"
        client = TrackerClient(credentials.access_token)
        return _ticket(client.patch(TrackerClient.ISSUE.format(issue=external_id), json=data))

    # -- the target of a linked ticket ---------------------------------------------------------
    def create_form(self, credentials: Credentials, *, container_id: str = "") -> dict[str, Any]:
        """Every project of every workspace (one issue type, no required field); with
        `container_id`, that project only."""
        client = TrackerClient(credentials.access_token)
        projects = [
            {"key": project["id"], "name": project["name"], "issue_types": ISSUE_TYPES}
            for workspace in client.get(TrackerClient.WORKSPACES)["workspaces"]
            for project in client.get(TrackerClient.PROJECTS.format(
                workspace=workspace["id"]))["projects"]
        ]
        if container_id:
            projects = [project for project in projects if project["key"] == container_id]
        return {"projects": projects}

    def add_attachment(self, credentials: Credentials, external_id: str, *, filename: str,
                       content: bytes, content_type: str) -> dict[str, Any]:
        answer = TrackerClient(credentials.access_token).post(
            TrackerClient.ATTACHMENTS.format(issue=external_id), json={
                "filename": filename, "content_type": content_type,
                "content_base64": base64.b64encode(content).decode()})
        return {"id": str(answer["id"]), "name": answer["filename"], "size": answer["size"]}

    def webhook_subscribe(self, credentials: Credentials, *, container_id: str,
                          target_url: str) -> dict[str, Any]:
        """Tracker hands the secret back with the webhook (no handshake)."""
        answer = TrackerClient(credentials.access_token).post(
            TrackerClient.WEBHOOKS, json={"project": container_id, "target_url": target_url})
        return {"id": str(answer["id"]), "secret": str(answer["secret"])}

    def webhook_unsubscribe(self, credentials: Credentials, webhook_id: str) -> None:
        try:
            TrackerClient(credentials.access_token).delete(
                TrackerClient.WEBHOOK.format(webhook=webhook_id))
        except ApiNotFound:
            pass

    def webhook_receive(self, *, headers: Mapping[str, str], body: bytes,
                        subscription: WebhookSubscriptionInfo,
                        url_token: str = "") -> WebhookAnswer:
        """A delivery signed with the subscription's secret: issues updated or deleted."""
        signature = str(headers.get(SIGNATURE_HEADER) or "")
        expected = (hmac.new(subscription.secret.encode(), body, hashlib.sha256).hexdigest()
                    if subscription.secret else "")
        if not expected or not hmac.compare_digest(expected.encode(), signature.encode()):
            raise WebhookRefused(BAD_SIGNATURE, code="bad_signature", status=401)
        try:
            payload = json_loads_bounded(body or b"{}")
        except ValueError:
            raise WebhookRefused(BAD_BODY, code="invalid", status=400) from None
        events = payload.get("events") if isinstance(payload, dict) else None
        events = [e for e in events or [] if isinstance(e, dict) and e.get("issue")]
        return WebhookChanges(
            changed=tuple(str(e["issue"]) for e in events if e.get("action") == "updated"),
            removed=tuple(str(e["issue"]) for e in events if e.get("action") == "deleted"))


provider = TrackerProvider()
