"""Asana webhooks: the X-Hook-Secret handshake, signed event deliveries, and the webhook API.

https://developers.asana.com/reference/createwebhook: while `POST /webhooks` is in flight, Asana
POSTs to the target with an `X-Hook-Secret` header; only a 200/204 answer echoing that header
creates the webhook (201). https://developers.asana.com/docs/webhooks-guide: events are POSTed
as `{"events": [...]}` with `X-Hook-Signature`, the hex HMAC-SHA256 of the body keyed with the
secret. Unlike Asana (which refuses `localhost`), the simulator delivers only to loopback
targets, so it can never send traffic off the machine.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import queue
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from integrations.sandbox.asana import errors
from integrations.sandbox.asana.api import ApiCall
from integrations.sandbox.asana.errors import AsanaError
from integrations.sandbox.asana.store import Task, User, iso_now
from integrations.sandbox.base import Response

if TYPE_CHECKING:
    from integrations.sandbox.asana.app import AsanaSandbox

HANDSHAKE_TIMEOUT_SECONDS = 10
DELIVERY_TIMEOUT_SECONDS = 10
DELIVERY_ATTEMPTS = 3
WEBHOOK_COMPACT_KEYS = ("gid", "resource_type", "active", "resource", "target")
RESOURCE_NOT_WATCHABLE = "resource: Webhooks can watch a task, a project or a workspace"
WORKSPACE_NEEDS_FILTERS = "filters: Webhooks on a workspace require filters"
WORKSPACE_REQUIRED = "workspace: Missing input"


@dataclass
class Webhook:
    gid: str
    resource: dict[str, str]  # gid, resource_type, name
    workspace: str
    target: str
    secret: str
    owner: str
    created_at: str
    filters: list[dict] = field(default_factory=list)
    active: bool = True
    last_success_at: str | None = None
    last_failure_at: str | None = None
    last_failure_content: str | None = None

    def record(self) -> dict:
        return {
            "gid": self.gid,
            "resource_type": "webhook",
            "active": self.active,
            "resource": dict(self.resource),
            "target": self.target,
            "created_at": self.created_at,
            "last_success_at": self.last_success_at,
            "last_failure_at": self.last_failure_at,
            "last_failure_content": self.last_failure_content,
            "delivery_retry_count": 0,
            "filters": [dict(f) for f in self.filters],
        }

    def accepts(self, event: dict) -> bool:
        """WebhookFilter: an event passes when any filter matches (or there are none)."""
        if not self.filters:
            return True
        for rule in self.filters:
            if rule.get("resource_type") not in (None, event["resource"]["resource_type"]):
                continue
            if rule.get("action") not in (None, event["action"]):
                continue
            fields = rule.get("fields")
            if fields and event.get("change", {}).get("field") not in fields:
                continue
            return True
        return False


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def is_loopback_target(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


class Webhooks:
    """Registered webhooks and an ordered, background delivery queue with a delivery log."""

    def __init__(self, app: AsanaSandbox) -> None:
        self.app = app
        self.hooks: dict[str, Webhook] = {}
        self.deliveries: list[dict[str, Any]] = []
        self._queue: queue.Queue[tuple[str, list[dict]]] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        threading.Thread(target=self._worker, name="asana-webhooks", daemon=True).start()

    def reset(self) -> None:
        self.wait_idle(timeout=5)
        with self.app.lock:
            self.hooks.clear()
            self.deliveries.clear()

    # -- API handlers ----------------------------------------------------------------------
    def create(self, call: ApiCall) -> Response:
        """createWebhook: runs the handshake without holding the simulator's lock."""
        data = call.data()
        resource_gid = str(data.get("resource") or "")
        target = str(data.get("target") or "")
        if not resource_gid:
            raise AsanaError(400, errors.MISSING_INPUT.format(name="resource"))
        if not target:
            raise AsanaError(400, errors.MISSING_INPUT.format(name="target"))
        filters = data.get("filters") or []
        with self.app.lock:
            resource, workspace = self._resource(call, resource_gid)
        if resource["resource_type"] == "workspace" and not filters:
            raise AsanaError(400, WORKSPACE_NEEDS_FILTERS)
        if not is_loopback_target(target):
            raise AsanaError(403, errors.WEBHOOK_TARGET_REFUSED)
        secret = secrets.token_hex(32)
        if not self._handshake(target, secret):
            raise AsanaError(400, errors.WEBHOOK_HANDSHAKE_FAILED)
        with self.app.lock:
            hook = Webhook(
                gid=self.app.store.new_gid(),
                resource=resource,
                workspace=workspace,
                target=target,
                secret=secret,
                owner=call.user.gid,
                created_at=iso_now(),
                filters=[dict(f) for f in filters if isinstance(f, dict)],
            )
            self.hooks[hook.gid] = hook
            return call.one(hook.record(), status=201)

    def _resource(self, call: ApiCall, gid: str) -> tuple[dict[str, str], str]:
        store = call.store
        if gid in store.tasks:
            task = call.task(gid)
            return {"gid": gid, "resource_type": "task", "name": task.name}, task.workspace
        if gid in store.projects:
            project = call.project(gid)
            return {"gid": gid, "resource_type": "project", "name": project.name}, project.workspace
        if gid in store.workspaces:
            workspace = call.workspace(gid)
            return {"gid": gid, "resource_type": "workspace", "name": workspace.name}, gid
        if gid.isdigit():
            raise AsanaError(404, errors.UNKNOWN_OBJECT.format(name="resource", gid=gid))
        raise AsanaError(400, RESOURCE_NOT_WATCHABLE)

    def _handshake(self, target: str, secret: str) -> bool:
        try:
            answer = requests.post(
                target,
                data=b"",
                headers={"X-Hook-Secret": secret, "Content-Type": "application/json"},
                timeout=HANDSHAKE_TIMEOUT_SECONDS,
                allow_redirects=False,
            )
        except requests.RequestException:
            return False
        echoed = answer.headers.get("X-Hook-Secret", "")
        return answer.status_code in (200, 204) and hmac.compare_digest(echoed, secret)

    def _own_hook(self, call: ApiCall, webhook_gid: str) -> Webhook:
        hook = call.lookup(self.hooks, webhook_gid, "webhook")
        if hook.owner != call.user.gid:
            raise AsanaError(403, errors.FORBIDDEN)
        return hook

    def get(self, call: ApiCall, webhook_gid: str) -> Response:
        """getWebhook."""
        return call.one(self._own_hook(call, webhook_gid).record())

    def delete(self, call: ApiCall, webhook_gid: str) -> Response:
        """deleteWebhook: answers `{"data": {}}`; no more deliveries."""
        hook = self._own_hook(call, webhook_gid)
        del self.hooks[hook.gid]
        return call.empty()

    def list(self, call: ApiCall) -> Response:
        """getWebhooks: the caller's webhooks in `workspace`, optionally for one `resource`."""
        workspace = call.arg("workspace")
        if not workspace:
            raise AsanaError(400, WORKSPACE_REQUIRED)
        call.workspace(workspace)
        resource = call.arg("resource")
        hooks = [
            hook
            for hook in self.hooks.values()
            if hook.owner == call.user.gid
            and hook.workspace == workspace
            and (resource is None or hook.resource["gid"] == resource)
        ]
        return call.many(hooks, Webhook.record, compact_keys=WEBHOOK_COMPACT_KEYS)

    # -- events ----------------------------------------------------------------------------
    def task_changed(self, task: Task, changed_fields: list[str], *, actor: User) -> None:
        events = [
            self._event(task, "changed", actor, change={"field": name, "action": "changed"})
            for name in changed_fields
        ]
        self._publish(task, events)

    def task_added(self, task: Task, *, actor: User) -> None:
        events = [
            self._event(task, "added", actor, parent={"gid": m.project, "resource_type": "project"})
            for m in task.memberships
        ] or [self._event(task, "added", actor)]
        self._publish(task, events)

    @staticmethod
    def _event(task: Task, action: str, actor: User, **extra: Any) -> dict:
        event = {
            "user": {"gid": actor.gid, "resource_type": "user"},
            "created_at": iso_now(),
            "action": action,
            "resource": {
                "gid": task.gid,
                "resource_type": "task",
                "resource_subtype": "default_task",
            },
            "parent": None,
        }
        event.update(extra)
        return event

    def _publish(self, task: Task, events: list[dict]) -> None:
        if not events:
            return
        watched = {task.gid, task.workspace, *(m.project for m in task.memberships)}
        with self.app.lock:
            hooks = [h for h in self.hooks.values() if h.active and h.resource["gid"] in watched]
        for hook in hooks:
            wanted = [event for event in events if hook.accepts(event)]
            if wanted:
                with self._idle:
                    self._pending += 1
                self._queue.put((hook.gid, wanted))

    def wait_idle(self, timeout: float) -> bool:
        """True once every queued delivery was attempted (tests use it to avoid sleeping)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def _worker(self) -> None:
        while True:
            hook_gid, events = self._queue.get()
            try:
                self._deliver(hook_gid, events)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(self, hook_gid: str, events: list[dict]) -> None:
        with self.app.lock:
            hook = self.hooks.get(hook_gid)
        if hook is None:
            return
        body = json.dumps({"events": events}).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Hook-Signature": signature(hook.secret, body),
        }
        status: int | None = None
        problem = ""
        for attempt in range(DELIVERY_ATTEMPTS):
            try:
                answer = requests.post(
                    hook.target, data=body, headers=headers, timeout=DELIVERY_TIMEOUT_SECONDS
                )
                status = answer.status_code
                if 200 <= status < 300:
                    break
                problem = f"HTTP {status}"
            except requests.RequestException as error:
                status, problem = None, type(error).__name__
            time.sleep(0.2 * (attempt + 1))
        delivered = status is not None and 200 <= status < 300
        with self.app.lock:
            if delivered:
                hook.last_success_at = iso_now()
            else:
                hook.last_failure_at = iso_now()
                hook.last_failure_content = problem
            self.deliveries.append(
                {
                    "webhook": hook.gid,
                    "target": hook.target,
                    "status": status,
                    "delivered": delivered,
                    "actions": [event["action"] for event in events],
                    "fields": [event.get("change", {}).get("field") for event in events],
                }
            )
