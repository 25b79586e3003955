"""The Asana simulator: OAuth 2.0, the REST API under /api/1.0 and webhooks, on loopback.

Run: `python manage.py sandbox asana --port 8101 --option token_lifetime=60`. Options (strings):
`token_lifetime` (seconds, default 3600), `rotate_refresh_tokens` (true/false, default false as at
Asana, which answers a refresh without a new refresh token), `refresh_reuse_seconds` (with
rotation: how long a spent refresh token may be exchanged again, default 0 = never; see oauth.py),
`client_id` / `client_secret` (default: settings.ASANA_CLIENT_ID / ASANA_CLIENT_SECRET),
`app_url` (host of permalink_url, default https://app.asana.com).

Seed data: integrations/sandbox/asana/seed.py (gids importable by tests).

Controls, besides the base ones (requests, faults, reset, health): POST `/_sandbox/<action>`
with a JSON object; answers `{"data": ...}` or `{"error": ...}` (400/404).
- `expire_token` {"access_token": "..."} or {"user": gid|email}: those access tokens expire now.
- `revoke_token` {"token": "..."}: revoke a refresh token (its whole authorization) or an
  access token, like /-/oauth_revoke without client authentication.
- `issue_token` {"user": gid|email, "scope": "tasks:read ..."}: a token pair without the browser
  flow (default user Ada, full access); the answer is the /-/oauth_token body.
- `change_task` {"gid": "...", "changes": {"name": ...}, "user": gid|email}: change a task as if in
  Asana's UI (same fields and validation as PUT /tasks/{gid}); webhooks are notified.
  Answers the task and `changed` (field names).
- `task` {"gid": "..."}: the task's current full record.
- `attachment_add` {"parent": task gid, "name", "host": "asana" (with "content_base64",
  "content_type") or "dropbox"/"gdrive"/... (with "view_url")}: attach a file or a link.
- `options` {"token_lifetime": 5, "rotate_refresh_tokens": true, "refresh_reuse_seconds": 30}:
  change options at run time; `{}` reads them.
- `lose_refresh_answers` {"times": 1, "hang_seconds": 30}: the next successful refresh answers
  are processed, then held back that long (a lost answer: the client times out or dies).
- `webhooks` {"wait": true, "timeout": 15}: waits for queued deliveries, then lists webhooks
  (without secrets) and the delivery log (webhook, target, status, delivered, actions, fields).
`reset` restores the seed and drops webhooks; issued tokens and options survive it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from integrations.sandbox.asana import controls, errors, rest, scopes, tasks, web
from integrations.sandbox.asana.api import ApiCall
from integrations.sandbox.asana.errors import AsanaError, error_response
from integrations.sandbox.asana.oauth import OAuthServer
from integrations.sandbox.asana.pagination import API_PREFIX, Paginator
from integrations.sandbox.asana.seed import build_store
from integrations.sandbox.asana.store import User
from integrations.sandbox.asana.webhooks import Webhooks
from integrations.sandbox.base import Fault, Request, Response, SandboxApp

DEFAULT_TOKEN_LIFETIME = 3600
DEFAULT_APP_URL = "https://app.asana.com"
_GID = r"(?P<{}>[^/]+)"


def _bool(value: str) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class AsanaSandbox(SandboxApp):
    name = "asana"

    def __init__(
        self,
        token_lifetime: str | int = DEFAULT_TOKEN_LIFETIME,
        rotate_refresh_tokens: str | bool = "false",
        refresh_reuse_seconds: str | int = 0,
        client_id: str | None = None,
        client_secret: str | None = None,
        app_url: str = DEFAULT_APP_URL,
    ) -> None:
        if client_id is None or client_secret is None:
            from django.conf import settings

            client_id = settings.ASANA_CLIENT_ID if client_id is None else client_id
            client_secret = settings.ASANA_CLIENT_SECRET if client_secret is None else client_secret
        self.client_id = client_id
        self.client_secret = client_secret
        self.app_url = app_url.rstrip("/")
        self.token_lifetime = DEFAULT_TOKEN_LIFETIME
        self.rotate_refresh_tokens = False
        self.refresh_reuse_seconds = 0.0
        self.signing_secret = secrets.token_bytes(32)  # offsets and download links
        self.paginator = Paginator(self.signing_secret)
        self.store = build_store()
        super().__init__()  # creates the lock and registers the routes
        self.oauth = OAuthServer(self)
        self.webhooks = Webhooks(self)
        self.set_options(token_lifetime=token_lifetime, rotate_refresh_tokens=rotate_refresh_tokens,
                         refresh_reuse_seconds=refresh_reuse_seconds)

    # -- options -----------------------------------------------------------------------------
    def set_options(
        self,
        token_lifetime: str | int | None = None,
        rotate_refresh_tokens: str | bool | None = None,
        refresh_reuse_seconds: str | int | None = None,
    ) -> None:
        with self.lock:
            if token_lifetime is not None:
                self.token_lifetime = int(token_lifetime)
            if rotate_refresh_tokens is not None:
                self.rotate_refresh_tokens = _bool(str(rotate_refresh_tokens))
            if refresh_reuse_seconds is not None:
                self.refresh_reuse_seconds = max(0.0, float(refresh_reuse_seconds))

    def options(self) -> dict:
        return {
            "token_lifetime": self.token_lifetime,
            "rotate_refresh_tokens": self.rotate_refresh_tokens,
            "refresh_reuse_seconds": self.refresh_reuse_seconds,
            "client_id": self.client_id,
            "app_url": self.app_url,
        }

    # -- routes ------------------------------------------------------------------------------
    def register_routes(self) -> None:
        self.route("GET", "/", lambda r: web.home(self, r))
        for permalink in (
            r"/1/\d+/task/(?P<task_gid>\d+)(?:/f)?/?",
            r"/1/\d+/project/\d+/task/(?P<task_gid>\d+)(?:/f)?/?",
            r"/0/\d+/(?P<task_gid>\d+)(?:/f)?/?",
        ):
            self.route("GET", permalink, lambda r, **kw: web.task_page(self, r, **kw))
        self.route("GET", "/-/oauth_authorize", lambda r: self.oauth.authorize_page(r))
        self.route("POST", "/-/oauth_authorize", lambda r: self.oauth.authorize_decision(r))
        self.route("POST", "/-/oauth_token", lambda r: self.oauth.token(r))
        self.route("POST", "/-/oauth_revoke", lambda r: self.oauth.revoke(r))
        self.route(
            "GET",
            r"/assets/(?P<attachment_gid>\d+)/(?P<name>[^/]+)",
            lambda r, **kw: rest.download(self, r, **kw),
        )
        task, project, workspace = (
            _GID.format("task_gid"),
            _GID.format("project_gid"),
            _GID.format("workspace_gid"),
        )
        webhook = _GID.format("webhook_gid")
        api = self.api_route
        api("GET", r"/users/(?P<user_gid>[^/]+)", rest.user_get, "users:read")
        api("GET", f"/workspaces/{workspace}/users", rest.workspace_users, "users:read")
        api("GET", "/workspaces", rest.workspaces_list, "workspaces:read")
        api("GET", f"/workspaces/{workspace}", rest.workspace_get, "workspaces:read")
        api("GET", f"/workspaces/{workspace}/projects", rest.workspace_projects, "projects:read")
        api("GET", "/projects", rest.projects_list, "projects:read")
        api("GET", f"/projects/{project}", rest.project_get, "projects:read")
        api("GET", f"/projects/{project}/sections", rest.project_sections, None)
        api(
            "GET",
            f"/projects/{project}/custom_field_settings",
            rest.project_custom_field_settings,
            "custom_fields:read",
        )
        api("GET", r"/sections/(?P<section_gid>[^/]+)", rest.section_get, None)
        api("GET", r"/sections/(?P<section_gid>[^/]+)/tasks", tasks.section_tasks, "tasks:read")
        api(
            "GET",
            r"/custom_fields/(?P<custom_field_gid>[^/]+)",
            rest.custom_field_get,
            "custom_fields:read",
        )
        api("GET", f"/projects/{project}/tasks", tasks.project_tasks, "tasks:read")
        api("GET", "/tasks", tasks.tasks_list, "tasks:read")
        api("POST", "/tasks", tasks.task_create, "tasks:write")
        api("GET", f"/tasks/{task}", tasks.task_get, "tasks:read")
        api("PUT", f"/tasks/{task}", tasks.task_update, "tasks:write")
        api("GET", f"/tasks/{task}/tags", rest.task_tags, "tags:read")
        api("GET", "/tags", rest.tags_list, "tags:read")
        api("GET", r"/tags/(?P<tag_gid>[^/]+)", rest.tag_get, "tags:read")
        api("GET", f"/workspaces/{workspace}/tags", rest.workspace_tags, "tags:read")
        api("GET", "/attachments", rest.attachments_list, "attachments:read")
        api(
            "GET",
            r"/attachments/(?P<attachment_gid>[^/]+)",
            rest.attachment_get,
            "attachments:read",
        )
        api("GET", f"/tasks/{task}/attachments", rest.task_attachments, "attachments:read")
        api(
            "GET",
            f"/workspaces/{workspace}/typeahead",
            rest.typeahead,
            "workspaces.typeahead:read",
        )
        api("GET", f"/workspaces/{workspace}/tasks/search", tasks.search, "tasks:read")
        api(
            "POST",
            "/webhooks",
            lambda call: self.webhooks.create(call),
            "webhooks:write",
            locked=False,
        )
        api("GET", "/webhooks", lambda call: self.webhooks.list(call), "webhooks:read")
        api(
            "GET",
            f"/webhooks/{webhook}",
            lambda call, **kw: self.webhooks.get(call, **kw),
            "webhooks:read",
        )
        api(
            "DELETE",
            f"/webhooks/{webhook}",
            lambda call, **kw: self.webhooks.delete(call, **kw),
            "webhooks:delete",
        )

    def api_route(
        self,
        method: str,
        pattern: str,
        handler: Callable[..., Response],
        scope: str | None,
        *,
        locked: bool = True,
    ) -> None:
        """An /api/1.0 route: bearer token checked (401), scope checked (403), errors wrapped.

        Required scopes are the OAS operations' ("Required scope", https://developers.asana.com/docs/oauth-scopes).
        """

        def wrapped(request: Request, **groups: str) -> Response:
            try:
                user = self.authenticate(request, scope)
                call = ApiCall(self, request, user)
                if not locked:
                    return handler(call, **groups)
                with self.lock:
                    return handler(call, **groups)
            except AsanaError as error:
                return error_response(error.status, error.message)

        self.route(method, API_PREFIX + pattern, wrapped)

    def authenticate(self, request: Request, scope: str | None) -> User:
        """`Authorization: Bearer <token>` (https://developers.asana.com/docs/authentication)."""
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            raise AsanaError(401, errors.NOT_AUTHORIZED)
        with self.lock:
            token = self.oauth.access_token(header[7:].strip())
            if token is None or not token.active():
                raise AsanaError(401, errors.NOT_AUTHORIZED)
            if token.expires_at <= time.time():
                raise AsanaError(401, errors.TOKEN_EXPIRED)
            if not scopes.allows(token.grant.scopes, scope):
                raise AsanaError(403, errors.MISSING_SCOPE.format(scope=scope))
            return self.store.users[token.grant.user]

    # -- base class hooks --------------------------------------------------------------------
    def reset(self) -> None:
        super().reset()
        self.webhooks.reset()
        with self.lock:
            self.store = build_store()

    def state_snapshot(self) -> dict:
        """The workspace data, consents and tokens, and webhooks (without their delivery log)."""
        return {
            "store": self.store,
            "signing_secret": self.signing_secret,
            "codes": self.oauth.codes,
            "access_tokens": self.oauth.access_tokens,
            "refresh_tokens": self.oauth.refresh_tokens,
            "hooks": self.webhooks.hooks,
        }

    def state_restore(self, snapshot: dict) -> None:
        self.store = snapshot["store"]
        self.signing_secret = snapshot["signing_secret"]
        self.paginator = Paginator(self.signing_secret)
        self.oauth.codes = snapshot["codes"]
        self.oauth.access_tokens = snapshot["access_tokens"]
        self.oauth.refresh_tokens = snapshot["refresh_tokens"]
        self.webhooks.hooks = snapshot["hooks"]

    def fault_response(self, fault: Fault) -> Response:
        """Injected statuses answer like Asana: its error body on the API, RFC 6749 on OAuth."""
        status = fault.status or 500
        if fault.body is not None:
            return Response.json(fault.body, status=status)
        if fault.path_prefix.startswith("/-/"):
            error = {400: "invalid_grant", 401: "invalid_client"}.get(status)
            error = error or ("temporarily_unavailable" if status in (429, 503) else "server_error")
            return Response.json({"error": error, "error_description": "injected fault"}, status)
        return error_response(status)

    def not_found(self, request: Request, method_not_allowed: bool = False) -> Response:
        return error_response(404, errors.NO_MATCHING_ROUTE)

    def handle_extra_control(self, action: str, request: Request) -> Response:
        response = controls.handle(self, action, request)
        return response if response is not None else super().handle_extra_control(action, request)
