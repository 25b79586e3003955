"""The Jira simulator's own `/_sandbox/<action>` controls (see app.py's docstring for the list)."""

from __future__ import annotations

import base64
import time
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization

from ..base import Request, Response
from .editing import edit_issue, set_status
from .fields import FieldErrors
from .representations import error_body, issue_json
from .state import Consumer

if TYPE_CHECKING:
    from .app import JiraSandbox

APPLINK_FIELDS_REQUIRED = "consumer_key, name and public_key are required"
PUBLIC_KEY_INVALID = "public_key is not an RSA public key in PEM (or bare base64 DER) form"
ISSUE_UNKNOWN = "no issue {issue}"
USER_UNKNOWN = "no user {user}"
TOKEN_SELECTOR_REQUIRED = "give access_token, or user (and optionally consumer_key)"


def normalise_public_key(text: str) -> str:
    """The key as PEM; Jira's applink screen also takes the bare base64 body."""
    text = text.strip()
    if "-----BEGIN" not in text:
        body = "".join(text.split())
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        text = "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----"
    key = serialization.load_pem_public_key(text.encode())
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


class Controls:
    def __init__(self, app: JiraSandbox) -> None:
        self.app = app
        self.state = app.state

    def handle(self, action: str, request: Request) -> Response | None:
        handler = {
            "applinks": self.applinks,
            "version": self.version,
            "issue_change": self.issue_change,
            "search_edit": self.search_edit,
            "token_revoke": self.token_revoke,
            "token_expire": self.token_expire,
            "tokens": self.tokens,
            "attachments": self.attachments,
            "issues": self.issues,
            "html_mode": self.html_mode,
            "webhook_deliveries": self.webhook_deliveries,
        }.get(action)
        if handler is None:
            return None
        payload = request.json()
        return handler(request, payload if isinstance(payload, dict) else {})

    # -- Application Links ---------------------------------------------------------------------
    def applink_json(self, consumer: Consumer) -> dict[str, Any]:
        return {
            "consumer_key": consumer.key,
            "name": consumer.name,
            "public_key": consumer.public_key_pem,
            "callback": consumer.callback,
        }

    def applinks(self, request: Request, payload: dict[str, Any]) -> Response:
        if request.method == "GET":
            with self.state.lock:
                return Response.json(
                    {"data": [self.applink_json(c) for c in self.state.consumers.values()]}
                )
        if request.method == "DELETE":
            with self.state.lock:
                removed = self.state.consumers.pop(str(payload.get("consumer_key")), None)
            return Response(status=204 if removed else 404)
        return self.register_applink(payload)

    def register_applink(self, payload: dict[str, Any]) -> Response:
        key, name, public_key = (
            str(payload.get(f) or "").strip() for f in ("consumer_key", "name", "public_key")
        )
        if not (key and name and public_key):
            return Response.json({"error": APPLINK_FIELDS_REQUIRED}, status=400)
        try:
            pem = normalise_public_key(public_key)
        except ValueError:
            return Response.json({"error": PUBLIC_KEY_INVALID}, status=400)
        consumer = Consumer(key, name, pem, payload.get("callback") or None, time.time())
        with self.state.lock:
            self.state.consumers[key] = consumer
        return Response.json({"data": self.applink_json(consumer)}, status=201)

    # -- server --------------------------------------------------------------------------------
    def version(self, request: Request, payload: dict[str, Any]) -> Response:
        with self.state.lock:
            if payload.get("version"):
                self.state.version = str(payload["version"])
            if payload.get("server_title"):
                self.state.server_title = str(payload["server_title"])
            return Response.json(
                {"data": {"version": self.state.version, "server_title": self.state.server_title}}
            )

    def html_mode(self, request: Request, payload: dict[str, Any]) -> Response:
        with self.state.lock:
            self.state.html_mode = bool(payload.get("enabled", True))
            return Response.json({"data": {"enabled": self.state.html_mode}})

    # -- issues --------------------------------------------------------------------------------
    def issue_change(self, request: Request, payload: dict[str, Any]) -> Response:
        """Change an issue as a Jira user would in Jira's UI; fires jira:issue_updated."""
        user = str(payload.get("user") or "admin")
        with self.state.lock:
            issue = self.state.issue(str(payload.get("issue") or ""))
            if issue is None:
                return Response.json(
                    {"error": ISSUE_UNKNOWN.format(issue=payload.get("issue"))}, status=404
                )
            if user not in self.state.users:
                return Response.json({"error": USER_UNKNOWN.format(user=user)}, status=400)
            try:
                changelog = edit_issue(self.state, issue, {"fields": payload.get("fields") or {}})
                if payload.get("status"):
                    changelog += set_status(self.state, issue, str(payload["status"]))
            except FieldErrors as error:
                return Response.json(error_body(error.messages, error.errors), status=400)
            body = issue_json(self.app.base_url, self.state, issue)
        if changelog:
            self.app.webhooks.fire(self.app.base_url, "jira:issue_updated", issue, user, changelog)
        return Response.json({"data": body, "changelog": changelog})

    def search_edit(self, request: Request, payload: dict[str, Any]) -> Response:
        """Queue a change made while a client pages through a search: right after the page
        starting at `after_start_at` is answered, the issue gets `fields` (REST values), or is
        deleted with `"delete": true`. One-shot; cleared by reset."""
        with self.state.lock:
            issue = self.state.issue(str(payload.get("issue") or ""))
            if issue is None:
                return Response.json(
                    {"error": ISSUE_UNKNOWN.format(issue=payload.get("issue"))}, status=404
                )
            edit = {"after_start_at": int(payload.get("after_start_at") or 0),
                    "issue": issue.key, "fields": payload.get("fields") or {},
                    "delete": bool(payload.get("delete"))}
            self.state.search_edits.append(edit)
        return Response.json({"data": edit}, status=201)

    def issues(self, request: Request, payload: dict[str, Any]) -> Response:
        with self.state.lock:
            data = [
                {
                    "id": issue.id,
                    "key": issue.key,
                    "summary": issue.summary,
                    "description": issue.description,
                    "reporter": issue.reporter,
                    "assignee": issue.assignee,
                    "attachments": [
                        self.state.attachments[a].filename for a in issue.attachment_ids
                    ],
                }
                for issue in self.state.issues.values()
            ]
        return Response.json({"data": data})

    def attachments(self, request: Request, payload: dict[str, Any]) -> Response:
        """An issue's attachments with their bytes (base64), for tests to compare."""
        with self.state.lock:
            issue = self.state.issue(str(payload.get("issue") or request.arg("issue") or ""))
            if issue is None:
                return Response.json(
                    {"error": ISSUE_UNKNOWN.format(issue=payload.get("issue"))}, status=404
                )
            data = [
                {
                    "id": attachment.id,
                    "filename": attachment.filename,
                    "mime_type": attachment.mime_type,
                    "size": len(attachment.content),
                    "author": attachment.author,
                    "content_base64": base64.b64encode(attachment.content).decode(),
                }
                for attachment in (self.state.attachments[a] for a in issue.attachment_ids)
            ]
        return Response.json({"data": data})

    # -- tokens --------------------------------------------------------------------------------
    def _select_tokens(self, payload: dict[str, Any]) -> list[str] | None:
        if payload.get("access_token"):
            return [t for t in self.state.access_tokens if t == payload["access_token"]]
        if payload.get("user"):
            return [
                t.token
                for t in self.state.access_tokens.values()
                if t.user == payload["user"]
                and payload.get("consumer_key") in (None, t.consumer_key)
            ]
        return None

    def token_revoke(self, request: Request, payload: dict[str, Any]) -> Response:
        """What a user's "Revoke access" in Jira's profile does: the token is gone (token_rejected)."""
        with self.state.lock:
            selected = self._select_tokens(payload)
            if selected is None:
                return Response.json({"error": TOKEN_SELECTOR_REQUIRED}, status=400)
            for token in selected:
                del self.state.access_tokens[token]
        return Response.json({"data": {"revoked": len(selected)}})

    def token_expire(self, request: Request, payload: dict[str, Any]) -> Response:
        with self.state.lock:
            selected = self._select_tokens(payload)
            if selected is None:
                return Response.json({"error": TOKEN_SELECTOR_REQUIRED}, status=400)
            for token in selected:
                self.state.access_tokens[token].expires_at = time.time() - 1
        return Response.json({"data": {"expired": len(selected)}})

    def tokens(self, request: Request, payload: dict[str, Any]) -> Response:
        """Access tokens without their values or secrets: who, which consumer, until when."""
        with self.state.lock:
            data = [
                {"consumer_key": t.consumer_key, "user": t.user, "expires_at": t.expires_at}
                for t in self.state.access_tokens.values()
            ]
        return Response.json({"data": data})

    def webhook_deliveries(self, request: Request, payload: dict[str, Any]) -> Response:
        with self.state.lock:
            return Response.json({"data": list(self.state.deliveries)})
