"""Tracker's tiny HTTP simulator: OAuth 2.0 (authorization code with PKCE, refresh, revoke),
a JSON API of workspaces, projects, issues and their attachments, and signed webhooks, on a
loopback port of its own.

The consent page is skipped: /oauth/authorize redirects at once with a code for `consent_user`.
Tests read what Conduit sent from `requests` (method and path, never a header), `revoked` and
`attachments` (the files uploaded to each issue).

Webhooks: `POST /api/webhooks {"project", "target_url"}` answers `{"id", "secret"}` (the secret
comes with the answer, no handshake); a change to an issue of the project (through the API or
`change_issue`, as a person would in Tracker) makes a delivery `{"events": [{"issue", "action"}]}`
signed with `X-Tracker-Signature`, the hex HMAC-SHA256 of the body under the secret. Deliveries
are kept in `deliveries` (target URL, body, headers); `deliver()` POSTs them over HTTP, or a test
posts one itself to a Conduit that the simulator cannot reach (Django's test client).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

CLIENT_ID = "conduit-tracker-client"
CLIENT_SECRET = "tracker-client-secret"  # noqa: S105 - a simulator's fixed test secret
USERS = {"pat": {"id": "u-pat", "name": "Pat Tracker", "email": "pat@tracker.test"}}
SIGNATURE_HEADER = "X-Tracker-Signature"


def signature_of(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Delivery:
    url: str
    body: bytes
    headers: dict[str, str]


def seed_issues() -> dict[str, dict[str, Any]]:
    return {
        "TRK-1": {"id": "TRK-1", "project": "p-core", "title": "Ship the registry",
                  "description": "One setting lists the providers.", "state": "open",
                  "assignee": "u-pat"},
        "TRK-2": {"id": "TRK-2", "project": "p-core", "title": "Split the protocol",
                  "description": "Small capabilities.", "state": "open", "assignee": ""},
        "TRK-3": {"id": "TRK-3", "project": "p-web", "title": "Draw the boundaries",
                  "description": "", "state": "done", "assignee": "u-pat"},
    }


@dataclass
class TrackerState:
    issues: dict[str, dict[str, Any]] = field(default_factory=seed_issues)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # access token -> user
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    revoked: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    consent_user: str = "pat"
    next_number: int = 4
    attachments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per issue
    hooks: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> project, url, secret
    deliveries: list[Delivery] = field(default_factory=list)
    next_hook: int = 1

    def notify(self, issue: dict[str, Any], action: str) -> None:
        """Queue a signed delivery of the event to every hook on the issue's project."""
        body = json.dumps({"events": [{"issue": issue["id"], "action": action}]}).encode()
        for hook in self.hooks.values():
            if hook["project"] == issue["project"]:
                self.deliveries.append(Delivery(url=hook["target_url"], body=body, headers={
                    "Content-Type": "application/json",
                    SIGNATURE_HEADER: signature_of(hook["secret"], body)}))


WORKSPACES = [{"id": "w-acme", "name": "Acme"}]
PROJECTS = {"w-acme": [{"id": "p-core", "name": "Core"}, {"id": "p-web", "name": "Web"}]}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    # -- plumbing ------------------------------------------------------------------------------
    def _answer(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _user(self) -> str | None:
        header = self.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        return self.server.state.tokens.get(token)

    def _route(self, method: str) -> None:
        parts = urlsplit(self.path)
        state = self.server.state
        with self.server.lock:
            state.requests.append(f"{method} {parts.path}")
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/oauth/authorize" and method == "GET":
                return self._authorize(query)
            if parts.path == "/oauth/token" and method == "POST":
                return self._token({k: v[0] for k, v in parse_qs(self._body().decode()).items()})
            if parts.path == "/oauth/revoke" and method == "POST":
                form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
                token = form.get("token", "")
                state.revoked.append(token)
                state.tokens.pop(token, None)
                state.refresh_tokens.pop(token, None)
                return self._answer(200, {})
            if not parts.path.startswith("/api/"):
                return self._answer(404, {"error": "not found"})
            user = self._user()
            if user is None:
                return self._answer(401, {"error": "invalid_token"})
            return self._api(method, parts.path.removeprefix("/api").strip("/").split("/"),
                             query)

    def do_GET(self) -> None:  # noqa: N802 - http.server's names
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._route("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802
        self._route("DELETE")

    # -- OAuth 2.0 -----------------------------------------------------------------------------
    def _authorize(self, query: dict[str, str]) -> None:
        if query.get("client_id") != CLIENT_ID or query.get("code_challenge_method") != "S256":
            return self._answer(400, {"error": "invalid_request"})
        code = secrets.token_urlsafe(16)
        self.server.state.codes[code] = {
            "redirect_uri": query.get("redirect_uri", ""), "challenge": query["code_challenge"],
            "user": self.server.state.consent_user,
        }
        target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
        self._answer(302, headers={"Location": target})

    def _issue_tokens(self, user: str) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.server.state.tokens[access] = user
        self.server.state.refresh_tokens[refresh] = user
        return {"access_token": access, "refresh_token": refresh, "token_type": "bearer",
                "expires_in": 3600, "scope": "read write", "user": USERS[user]}

    def _token(self, form: dict[str, str]) -> None:
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return self._answer(401, {"error": "invalid_client"})
        state = self.server.state
        if form.get("grant_type") == "authorization_code":
            grant = state.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if (grant is None or grant["redirect_uri"] != form.get("redirect_uri")
                    or challenge.decode() != grant["challenge"]):
                return self._answer(400, {"error": "invalid_grant"})
            return self._answer(200, self._issue_tokens(grant["user"]))
        if form.get("grant_type") == "refresh_token":
            user = state.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if user is None:
                return self._answer(400, {"error": "invalid_grant"})
            return self._answer(200, self._issue_tokens(user))
        return self._answer(400, {"error": "unsupported_grant_type"})

    # -- the API -------------------------------------------------------------------------------
    def _issue(self, issue: dict[str, Any]) -> dict[str, Any]:
        assignee = USERS.get({"u-pat": "pat"}.get(issue["assignee"], ""), {})
        return {**issue, "assignee": assignee or None,
                "url": f"{self.server.app_url}/issue/{issue['id']}"}

    def _api(self, method: str, path: list[str], query: dict[str, str]) -> None:
        state = self.server.state
        if path == ["workspaces"]:
            return self._answer(200, {"workspaces": WORKSPACES})
        if len(path) == 3 and path[0] == "workspaces" and path[2] == "projects":
            return self._answer(200, {"projects": PROJECTS.get(path[1], [])})
        if len(path) == 3 and path[0] == "workspaces" and path[2] == "search":
            text = query.get("q", "").casefold()
            found = [self._issue(i) for i in state.issues.values() if text in i["title"].casefold()]
            return self._answer(200, {"issues": found})
        if len(path) == 3 and path[0] == "projects" and path[2] == "issues":
            issues = [i for i in state.issues.values() if i["project"] == path[1]]
            start, limit = int(query.get("cursor") or 0), int(query.get("limit") or 50)
            page = issues[start:start + limit]
            following = start + len(page)
            return self._answer(200, {"issues": [self._issue(i) for i in page],
                                      "next": str(following) if following < len(issues) else None})
        if path == ["webhooks"] and method == "POST":
            body = json.loads(self._body() or b"{}")
            hook_id = f"wh-{state.next_hook}"
            state.next_hook += 1
            state.hooks[hook_id] = {"project": str(body.get("project", "")),
                                    "target_url": str(body.get("target_url", "")),
                                    "secret": secrets.token_hex(32)}
            return self._answer(201, {"id": hook_id, "secret": state.hooks[hook_id]["secret"]})
        if len(path) == 2 and path[0] == "webhooks" and method == "DELETE":
            if state.hooks.pop(path[1], None) is None:
                return self._answer(404, {"error": "no such webhook"})
            return self._answer(200, {})
        if path == ["issues"] and method == "POST":
            body = json.loads(self._body() or b"{}")
            number = state.next_number
            state.next_number += 1
            issue = {"id": f"TRK-{number}", "project": body.get("project", ""),
                     "title": body.get("title", ""), "description": body.get("description", ""),
                     "state": "open", "assignee": ""}
            state.issues[issue["id"]] = issue
            return self._answer(201, self._issue(issue))
        if len(path) == 3 and path[0] == "issues" and path[2] == "attachments":
            if path[1] not in state.issues or method != "POST":
                return self._answer(404, {"error": "no such issue"})
            body = json.loads(self._body() or b"{}")
            content = base64.b64decode(body.get("content_base64") or "")
            files = state.attachments.setdefault(path[1], [])
            stored = {"id": f"att-{path[1]}-{len(files) + 1}", "filename": body.get("filename"),
                      "content_type": body.get("content_type"), "size": len(content),
                      "content": content}
            files.append(stored)
            return self._answer(201, {k: v for k, v in stored.items() if k != "content"})
        if len(path) == 2 and path[0] == "issues":
            issue = state.issues.get(path[1])
            if issue is None:
                return self._answer(404, {"error": "no such issue"})
            if method == "PATCH":
                changes = json.loads(self._body() or b"{}")
                issue.update({k: v for k, v in changes.items()
                              if k in ("title", "description", "state")})
                state.notify(issue, "updated")
            return self._answer(200, self._issue(issue))
        return self._answer(404, {"error": "not found"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, app_url: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = TrackerState()
        self.lock = threading.Lock()
        self.app_url = app_url


class TrackerSimulator:
    """Start with `start()`; `url` is its base; `reset()` restores the seed between tests."""

    def __init__(self, app_url: str = "https://tracker.test") -> None:
        self._server = _Server(app_url)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def state(self) -> TrackerState:
        return self._server.state

    def start(self) -> TrackerSimulator:
        self._thread.start()
        return self

    def reset(self) -> None:
        with self._server.lock:
            self._server.state = TrackerState()

    def change_issue(self, issue_id: str, **changes: Any) -> None:
        """Change an issue as a person would in Tracker (title, description, state), or delete
        it with `deleted=True`; its project's webhooks hear of it."""
        with self._server.lock:
            state = self._server.state
            if changes.pop("deleted", False):
                state.notify(state.issues.pop(issue_id), "deleted")
                return
            state.issues[issue_id].update(changes)
            state.notify(state.issues[issue_id], "updated")

    def deliveries_take(self) -> list[Delivery]:
        """The queued deliveries, oldest first, removed from the queue."""
        with self._server.lock:
            taken, self._server.state.deliveries = self._server.state.deliveries, []
        return taken

    def deliver(self, timeout: float = 5.0) -> list[int]:
        """POST the queued deliveries to their targets; the statuses they answered."""
        return [requests.post(d.url, data=d.body, headers=d.headers, timeout=timeout).status_code
                for d in self.deliveries_take()]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
