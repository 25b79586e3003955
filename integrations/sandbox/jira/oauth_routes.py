"""The `/plugins/servlet/oauth/...` servlets: request token, consent screen, access token.

Failures answer as net.oauth's `OAuthServlet.handleException` does (see `oauth1.py`); the consent
screen answers an HTML error page carrying the oauth_problem. On Allow the browser is sent to the
consumer's callback with `oauth_token` and `oauth_verifier`; on Deny with `oauth_verifier=denied`,
which is what atlassian-oauth's AuthorizeServlet does, and the access-token request then fails with
permission_denied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..base import Request, Response
from .consent import consent_page, denied_page, problem_page, verifier_page
from .oauth1 import OAuthProblem
from .representations import error_body

if TYPE_CHECKING:
    from .app import JiraSandbox

OAUTH = "/plugins/servlet/oauth"
UNKNOWN_USER = "Pick one of the listed users."
DEFAULT_CONSENTING_USER = "alice"


class OAuthServlets:
    def __init__(self, app: JiraSandbox) -> None:
        self.app = app
        self.state = app.state

    def routes(self) -> list[tuple[str, str, Callable[..., Response]]]:
        return [
            ("POST", f"{OAUTH}/request-token", self.request_token),
            ("GET", f"{OAUTH}/authorize", self.consent),
            ("POST", f"{OAUTH}/authorize", self.decide),
            ("POST", f"{OAUTH}/access-token", self.access_token),
        ]

    def realm(self, request: Request) -> str:
        return self.app.oauth.origin(request, self.app.base_url)

    def request_token(self, request: Request) -> Response:
        try:
            return self.app.oauth.request_token(request, self.app.base_url)
        except OAuthProblem as problem:
            return problem.response(self.realm(request))

    def access_token(self, request: Request) -> Response:
        try:
            return self.app.oauth.access_token(request, self.app.base_url)
        except OAuthProblem as problem:
            return problem.response(self.realm(request))

    def _problem_page(self, problem: OAuthProblem, request: Request) -> Response:
        return Response.html(
            problem_page(problem),
            status=problem.status,
            headers={"WWW-Authenticate": problem.www_authenticate(self.realm(request))},
        )

    def consent(self, request: Request) -> Response:
        try:
            token = self.app.oauth.pending_request_token(request.arg("oauth_token"))
        except OAuthProblem as problem:
            return self._problem_page(problem, request)
        with self.state.lock:
            consumer = self.state.consumers.get(token.consumer_key)
            users = sorted(self.state.users.values(), key=lambda u: (u.admin, u.name))
            markup = consent_page(
                server_title=self.state.server_title,
                consumer_name=consumer.name if consumer else token.consumer_key,
                token=token.token,
                users=users,
                selected=DEFAULT_CONSENTING_USER,
            )
        return Response.html(markup, headers={"Cache-Control": "no-cache, no-store"})

    def decide(self, request: Request) -> Response:
        form = request.form()
        token, user = form.get("oauth_token", ""), form.get("user", "")
        with self.state.lock:
            if user not in self.state.users:
                return Response.json(error_body([UNKNOWN_USER]), status=400)
        try:
            if "deny" in form:
                location = self.app.oauth.deny(token, user)
                if location is None:
                    return Response.html(denied_page(server_title=self.state.server_title))
                return Response.redirect(location)
            location, verifier = self.app.oauth.approve(token, user, self.app.base_url)
        except OAuthProblem as problem:
            return self._problem_page(problem, request)
        if location is None:
            return Response.html(
                verifier_page(server_title=self.state.server_title, verifier=verifier)
            )
        return Response.redirect(location)
