"""Jira Server webhooks: the `/rest/webhooks/1.0/webhook` registry and deliveries.

Registration takes `name`, `url`, `events` (e.g. `jira:issue_created`, `jira:issue_updated`),
`filters: {"issue-related-events-section": "<JQL>"}` and `excludeBody`; it needs a Jira
administrator. A delivery is a JSON POST of `{"timestamp", "webhookEvent",
"issue_event_type_name", "user", "issue", "changelog"}`, and `${issue.key}`-style variables in the
URL are substituted (https://developer.atlassian.com/server/jira/platform/webhooks/). Jira Server
signs nothing and does not retry.

The sandbox only delivers to loopback addresses: any other URL is recorded as refused, so a test
can never make the simulator send traffic off the machine. Of JQL, only `project = X` and
`project in (X, Y)` are understood; any other filter matches every issue.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests

from ..base import Response
from .representations import error_body, issue_json, jira_time, user_json
from .state import Issue, JiraState, Webhook

WEBHOOK_PATH = "/rest/webhooks/1.0/webhook"
NAME_REQUIRED = "The webhook name is required."
URL_INVALID = "The webhook URL must be an absolute http or https URL."
ADMIN_REQUIRED = "You must be a Jira administrator to manage webhooks."
WEBHOOK_NOT_FOUND = "Webhook not found."
DELIVERY_TIMEOUT_SECONDS = 5
JQL_PROJECT = re.compile(r'^\s*project\s*=\s*"?([\w-]+)"?\s*$', re.IGNORECASE)
JQL_PROJECTS = re.compile(r"^\s*project\s+in\s*\(([^)]*)\)\s*$", re.IGNORECASE)


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def jql_matches(jql: str, issue: Issue, project_id: str) -> bool:
    if not jql.strip():
        return True
    single = JQL_PROJECT.match(jql)
    if single:
        return single.group(1).upper() in (issue.project_key, project_id)
    several = JQL_PROJECTS.match(jql)
    if several:
        wanted = {part.strip().strip('"').upper() for part in several.group(1).split(",")}
        return bool(wanted & {issue.project_key, project_id})
    return True


class WebhookRegistry:
    """Registered webhooks of one state, and the threads that deliver events to them."""

    def __init__(self, state: JiraState) -> None:
        self.state = state

    def webhook_json(self, base_url: str, webhook: Webhook) -> dict[str, Any]:
        user = self.state.users[webhook.created_by]
        return {
            "name": webhook.name,
            "url": webhook.url,
            "excludeBody": webhook.exclude_body,
            "filters": {"issue-related-events-section": webhook.jql},
            "events": list(webhook.events),
            "enabled": webhook.enabled,
            "self": f"{base_url}{WEBHOOK_PATH}/{webhook.id}",
            "lastUpdatedUser": user.key,
            "lastUpdatedDisplayName": user.display_name,
            "lastUpdated": int(webhook.updated * 1000),
        }

    def _require_admin(self, user: str) -> Response | None:
        if not self.state.users[user].admin:
            return Response.json(error_body([ADMIN_REQUIRED]), status=403)
        return None

    # -- REST ---------------------------------------------------------------------------------
    def register(self, base_url: str, user: str, payload: Any) -> Response:
        refused = self._require_admin(user)
        if refused:
            return refused
        payload = payload if isinstance(payload, dict) else {}
        errors = {}
        if not str(payload.get("name") or "").strip():
            errors["name"] = NAME_REQUIRED
        url = str(payload.get("url") or "")
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            errors["url"] = URL_INVALID
        if errors:
            return Response.json(error_body(errors=errors), status=400)
        filters = payload.get("filters") or {}
        jql = str(filters.get("issue-related-events-section") or payload.get("jqlFilter") or "")
        with self.state.lock:
            webhook = Webhook(
                id=self.state.next_webhook_id,
                name=str(payload["name"]).strip(),
                url=url,
                events=[str(event) for event in payload.get("events") or []],
                jql=jql,
                exclude_body=bool(payload.get("excludeBody", False)),
                enabled=bool(payload.get("enabled", True)),
                created_by=user,
                updated=time.time(),
            )
            self.state.next_webhook_id += 1
            self.state.webhooks[webhook.id] = webhook
            body = self.webhook_json(base_url, webhook)
        return Response.json(body, status=201, headers={"Location": body["self"]})

    def list(self, base_url: str, user: str) -> Response:
        refused = self._require_admin(user)
        if refused:
            return refused
        with self.state.lock:
            return Response.json(
                [self.webhook_json(base_url, w) for w in self.state.webhooks.values()]
            )

    def get(self, base_url: str, user: str, webhook_id: str) -> Response:
        refused = self._require_admin(user)
        if refused:
            return refused
        with self.state.lock:
            webhook = self.state.webhooks.get(int(webhook_id))
            if webhook is None:
                return Response.json(error_body([WEBHOOK_NOT_FOUND]), status=404)
            return Response.json(self.webhook_json(base_url, webhook))

    def delete(self, user: str, webhook_id: str) -> Response:
        refused = self._require_admin(user)
        if refused:
            return refused
        with self.state.lock:
            if self.state.webhooks.pop(int(webhook_id), None) is None:
                return Response.json(error_body([WEBHOOK_NOT_FOUND]), status=404)
        return Response(status=204)

    # -- deliveries ---------------------------------------------------------------------------
    def fire(
        self,
        base_url: str,
        event: str,
        issue: Issue,
        user: str,
        changelog: list[dict[str, Any]] | None = None,
    ) -> None:
        """Send `event` about `issue` to every matching webhook, each on its own thread."""
        with self.state.lock:
            project = self.state.projects[issue.project_key]
            targets = [
                w
                for w in self.state.webhooks.values()
                if w.enabled and event in w.events and jql_matches(w.jql, issue, project.id)
            ]
            if not targets:
                return
            payload: dict[str, Any] = {
                "timestamp": int(time.time() * 1000),
                "webhookEvent": event,
                "issue_event_type_name": event.removeprefix("jira:"),
                "user": user_json(base_url, self.state.users[user]),
                "issue": issue_json(base_url, self.state, issue),
            }
            if changelog:
                payload["changelog"] = {"id": self.state.next_changelog(), "items": changelog}
            variables = {
                "${issue.id}": str(issue.id),
                "${issue.key}": issue.key,
                "${project.id}": project.id,
                "${project.key}": project.key,
            }
        for webhook in targets:
            url = webhook.url
            for variable, value in variables.items():
                url = url.replace(variable, value)
            thread = threading.Thread(
                target=self._deliver,
                args=(webhook, url, event, issue.key, None if webhook.exclude_body else payload),
                daemon=True,
            )
            thread.start()

    def _deliver(
        self, webhook: Webhook, url: str, event: str, issue_key: str, payload: Any
    ) -> None:
        record: dict[str, Any] = {
            "webhook": webhook.id,
            "event": event,
            "issue": issue_key,
            "url": url,
            "time": jira_time(time.time()),
            "status": None,
            "error": None,
        }
        if not is_loopback_url(url):
            record["error"] = "refused: the sandbox only delivers to loopback addresses"
        else:
            try:
                response = requests.post(
                    url,
                    json=payload,
                    headers={"User-Agent": f"Atlassian HttpClient / JIRA-{self.state.version}"},
                    timeout=DELIVERY_TIMEOUT_SECONDS,
                )
                record["status"] = response.status_code
            except requests.RequestException as error:
                record["error"] = type(error).__name__
        with self.state.lock:
            self.state.deliveries.append(record)
