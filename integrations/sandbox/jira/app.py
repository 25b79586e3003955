"""A Jira Server simulator: REST API v2, OAuth 1.0a (RSA-SHA1) via Application Links, webhooks.

Run it with `python manage.py sandbox jira --port N [--option version=8.5.0]
[--option server_title=...]`. It follows Jira Server closely enough that the `jira` Python
library works against it; the seed instance is described in `seed.py`.

Provider endpoints:
- `GET /rest/api/2/serverInfo` (anonymous allowed), `myself`, `project`, `project/{key}`,
  `search` (a JQL subset, see search.py), `issue/createmeta` (before 9.0), `issue/createmeta/{project}/issuetypes[/{id}]` (8.4 on),
  `POST issue`, `GET|PUT issue/{idOrKey}`, `POST issue/{idOrKey}/attachments`,
  `GET attachment/{id}`, `GET /secure/attachment/{id}/{filename}`;
- `POST /plugins/servlet/oauth/request-token`, `GET|POST /plugins/servlet/oauth/authorize` (the
  consent screen), `POST /plugins/servlet/oauth/access-token`;
- `POST|GET /rest/webhooks/1.0/webhook`, `GET|DELETE /rest/webhooks/1.0/webhook/{id}`.

Controls (`/_sandbox/<action>`, JSON bodies), besides the base ones (requests, faults, reset,
health):
- `applinks`: POST `{"consumer_key", "name", "public_key" (PEM), "callback"}` registers a consumer
  as a Jira admin does in the Application Links screen (replacing one with the same key); GET
  lists them; DELETE `{"consumer_key"}` removes one.
- `version`: POST `{"version": "9.4.0", "server_title": "..."}` changes what serverInfo reports
  (and which createmeta endpoints exist).
- `issue_change`: POST `{"issue": "TEST-1", "fields": {...REST field values...},
  "status": "Done", "user": "alice"}` changes an issue behind Conduit's back and fires
  `jira:issue_updated` webhooks.
- `token_revoke` / `token_expire`: POST `{"access_token": "..."}` or `{"user": "alice",
  "consumer_key": "..."}`; later requests fail with token_rejected / token_expired.
- `search_edit`: POST `{"after_start_at": 0, "issue": "TEST-1", "fields": {...}}` (or
  `"delete": true`): right after the search page starting there is answered, the issue is
  edited (or deleted), as when someone changes it while a client reads the pages.
- `tokens`: access tokens without values or secrets (user, consumer, expiry).
- `attachments`: POST `{"issue": "TEST-1"}`: the issue's attachments with base64 contents.
- `issues`: every issue, briefly (key, summary, reporter, assignee, attachment names).
- `html_mode`: POST `{"enabled": true}`: every provider path answers a proxy's HTML login page
  with 200, a real misconfiguration the connector must detect.
- `webhook_deliveries`: what was delivered where, with the receiver's status.

Every request is recorded by the base class, which masks the `Authorization` header; each
entry of an OAuth-signed request also has `oauth`: its parameters with only the non-secret values
shown (consumer key, signature method, timestamp, version), never the token, signature, nonce or
verifier.
"""

from __future__ import annotations

import dataclasses

from ..base import Fault, Request, Response, SandboxApp
from . import seed
from .consent import proxy_login_page
from .controls import Controls
from .oauth1 import OAuthProblem
from .oauth_provider import OAuthProvider, parse_authorization
from .oauth_routes import OAuthServlets
from .representations import error_body
from .rest import RestApi, anonymous_createmeta, anonymous_projects
from .state import JiraState
from .web import home, issue_page
from .webhooks import WEBHOOK_PATH, WebhookRegistry

DEFAULT_VERSION = "8.5.0"
DEFAULT_SERVER_TITLE = "Jira (Conduit sandbox)"
# OAuth parameters whose values may be recorded; every other one is masked.
RECORDABLE_OAUTH_PARAMETERS = frozenset(
    {"realm", "oauth_consumer_key", "oauth_signature_method", "oauth_timestamp", "oauth_version"}
)
PROVIDER_PREFIXES = ("/rest/", "/plugins/", "/secure/")
FAULT_MESSAGES = {
    400: "Bad request.",
    403: "You do not have permission to perform this operation.",
    404: "The requested resource does not exist.",
    409: "The resource was changed by someone else.",
    429: "Rate limit exceeded.",
    500: "Internal server error.",
    502: "Bad gateway.",
    503: "Jira is temporarily unavailable (maintenance or restart).",
}


class JiraSandbox(SandboxApp):
    name = "jira"

    def __init__(
        self, version: str = DEFAULT_VERSION, server_title: str = DEFAULT_SERVER_TITLE
    ) -> None:
        self.initial_version = version
        self.initial_server_title = server_title
        self.state = JiraState(version=version, server_title=server_title)
        self.oauth = OAuthProvider(self.state)
        self.webhooks = WebhookRegistry(self.state)
        self.controls = Controls(self)
        super().__init__()
        # One lock for the framework's records and the simulated server's state.
        self.state.lock = self.lock
        self._load_seed()

    def _load_seed(self) -> None:
        with self.lock:
            fresh = JiraState(
                version=self.initial_version, server_title=self.initial_server_title, lock=self.lock
            )
            seed.load(fresh)
            for state_field in dataclasses.fields(JiraState):
                setattr(self.state, state_field.name, getattr(fresh, state_field.name))

    def register_routes(self) -> None:
        self.route("GET", "/", lambda r: home(self, r))
        self.route("GET", r"/browse/(?P<key>[A-Za-z][A-Za-z0-9_]*-\d+)", lambda r, key: issue_page(self, r, key))
        rest = RestApi(self)
        anonymous = {rest.projects: anonymous_projects, rest.createmeta: anonymous_createmeta}
        for method, pattern, handler in rest.routes():
            if handler == rest.server_info:
                self.route(method, pattern, handler)
            else:
                self.route(method, pattern, rest.guarded(handler, anonymous=anonymous.get(handler)))
        for method, pattern, handler in OAuthServlets(self).routes():
            self.route(method, pattern, handler)
        self.route(
            "POST",
            WEBHOOK_PATH,
            rest.guarded(lambda r, u: self.webhooks.register(self.base_url, u, r.json())),
        )
        self.route(
            "GET", WEBHOOK_PATH, rest.guarded(lambda r, u: self.webhooks.list(self.base_url, u))
        )
        self.route(
            "GET",
            f"{WEBHOOK_PATH}/(?P<webhook_id>\\d+)",
            rest.guarded(lambda r, u, webhook_id: self.webhooks.get(self.base_url, u, webhook_id)),
        )
        self.route(
            "DELETE",
            f"{WEBHOOK_PATH}/(?P<webhook_id>\\d+)",
            rest.guarded(lambda r, u, webhook_id: self.webhooks.delete(u, webhook_id)),
        )

    def reset(self) -> None:
        super().reset()
        self._load_seed()

    def state_snapshot(self) -> dict:
        """Every field of the simulated server but its lock (Application Links, tokens too)."""
        return {
            state_field.name: getattr(self.state, state_field.name)
            for state_field in dataclasses.fields(JiraState)
            if state_field.name != "lock"
        }

    def state_restore(self, snapshot: dict) -> None:
        for name, value in snapshot.items():
            setattr(self.state, name, value)

    # -- framework hooks ----------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if self.state.html_mode and request.path.startswith(PROVIDER_PREFIXES):
            self.record(request)
            return Response.html(proxy_login_page())
        return super().handle(request)

    def record(self, request: Request) -> None:
        with self.lock:
            super().record(request)  # masks the whole Authorization header
            header = request.headers.get("authorization", "")
            if header.lower().startswith("oauth "):
                self.recorded[-1]["oauth"] = {
                    name: value if name in RECORDABLE_OAUTH_PARAMETERS else "[present]"
                    for name, value in parse_authorization(header)
                }

    def fault_response(self, fault: Fault) -> Response:
        """Jira's error envelope; an injected 401 is a rejected OAuth token, as Jira reports it."""
        status = fault.status or 500
        if status == 401 and fault.body is None:
            return OAuthProblem("token_rejected").response(self.base_url)
        if fault.body is not None:
            return Response.json(fault.body, status=status)
        return Response.json(error_body([FAULT_MESSAGES.get(status, "Error.")]), status=status)

    def not_found(self, request: Request, method_not_allowed: bool = False) -> Response:
        if method_not_allowed:
            return Response(status=405, headers={"Allow": "GET, POST, PUT, DELETE"})
        return Response.json(
            error_body([f"null for uri: {self.base_url}{request.path}"]), status=404
        )

    def handle_extra_control(self, action: str, request: Request) -> Response:
        response = self.controls.handle(action, request)
        return response if response is not None else super().handle_extra_control(action, request)
