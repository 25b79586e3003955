"""Jira Server's OAuth 1.0a flow (RSA-SHA1) and what each of its failures tells people to do.

https://developer.atlassian.com/server/jira/platform/oauth/: POST
`/plugins/servlet/oauth/request-token` (signed by the Application Link's consumer, with
`oauth_callback`), the user approves at `/plugins/servlet/oauth/authorize?oauth_token=...`, and
POST `/plugins/servlet/oauth/access-token` (signed with the request token and `oauth_verifier`)
answers the access token and its secret. Every request is signed by requests-oauthlib's
OAuth1Session with `SIGNATURE_RSA` and the connection's private key, over the egress-guarded
session with the team's Jira host allowed.

Jira reports refusals with the OAuth Problem Reporting extension: `oauth_problem=...` in a
form-encoded body and in `WWW-Authenticate` (Atlassian's troubleshooting guide lists them,
https://confluence.atlassian.com/kb/oauth-troubleshooting-guide-719095274.html). Each becomes a
`JiraOAuthError` whose message names the oauth_problem (or the HTTP status) and what to change;
`audience` says who can fix it (the Jira admin or the user).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

import requests
from oauthlib.oauth1 import SIGNATURE_RSA
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header
from requests_oauthlib import OAuth1Session

from integrations.egress import guarded_session
from integrations.errors import ApiUnauthorized, OAuthError, error_from_exception
from integrations.jira_server.context import ServerContext
from integrations.providers import AuthorizationStart, TokenSet

PROVIDER = "Jira Server"
REQUEST_TOKEN_PATH = "/plugins/servlet/oauth/request-token"
AUTHORIZE_PATH = "/plugins/servlet/oauth/authorize"
ACCESS_TOKEN_PATH = "/plugins/servlet/oauth/access-token"
MYSELF_PATH = "/rest/api/2/myself"
TIMEOUT = (5.0, 20.0)
ADMIN, USER = "admin", "user"
T = TypeVar("T")

# -- messages: what happened, the oauth_problem or status Jira sent, what to do ----------------
PROBLEMS: dict[str, tuple[str, str]] = {
    "consumer_key_unknown": (ADMIN, (
        "Jira does not know Conduit's consumer key {consumer_key} "
        "(oauth_problem=consumer_key_unknown). A Jira administrator must create the Application "
        "Link with incoming authentication using exactly this Consumer Key and Conduit's public "
        "key: the values are on the Application Link page of the Jira Server connection in "
        "Conduit's console."
    )),
    "consumer_key_rejected": (ADMIN, (
        "Jira refused Conduit's consumer key {consumer_key} (oauth_problem={problem}): the "
        "Application Link's incoming OAuth is disabled or restricted. A Jira administrator must "
        "enable incoming authentication (OAuth) on the Application Link."
    )),
    "signature_invalid": (ADMIN, (
        "Jira could not verify Conduit's RSA-SHA1 signature (oauth_problem=signature_invalid). "
        "Either the Public Key in Jira's Application Link is not Conduit's current key (a Jira "
        "administrator must paste it again from the Application Link page in Conduit's console), "
        "or Jira's Base URL differs from {base_url}, the address Conduit signs for (set Jira's "
        "Base URL, or proxyName and proxyPort in server.xml, to that address)."
    )),
    "signature_method_rejected": (ADMIN, (
        "Jira refused the RSA-SHA1 signature method (oauth_problem=signature_method_rejected"
        "{acceptable}). The Application Link's incoming authentication must be OAuth with a "
        "public key."
    )),
    "timestamp_refused": (ADMIN, (
        "Jira refused the request's timestamp (oauth_problem=timestamp_refused{acceptable}): the "
        "clocks of the Jira server and of Conduit differ by more than 5 minutes. A Jira "
        "administrator must synchronise the Jira server's clock (NTP); then try again."
    )),
    "nonce_used": (USER, (
        "Jira saw this request's nonce before (oauth_problem=nonce_used), which happens when a "
        "request is replayed or sent twice. Try again."
    )),
    "token_rejected": (USER, (
        "Jira rejected your Jira authorisation (oauth_problem=token_rejected): it was revoked in "
        "Jira (Profile > Tools > View OAuth Access Tokens), has expired, or belongs to an "
        "Application Link that was recreated. Connect your Jira account again."
    )),
    "token_expired": (USER, (
        "Your Jira authorisation has expired (oauth_problem=token_expired). Connect your Jira "
        "account again."
    )),
    "token_revoked": (USER, (
        "Your Jira authorisation was revoked (oauth_problem=token_revoked). Connect your Jira "
        "account again."
    )),
    "token_used": (USER, (
        "This Jira approval was already used (oauth_problem=token_used). Start connecting again."
    )),
    "permission_denied": (USER, (
        "You declined access in Jira (oauth_problem=permission_denied), so nothing was "
        "connected. Connect again and choose Allow."
    )),
    "permission_unknown": (USER, (
        "Jira says the approval never finished (oauth_problem=permission_unknown): you did not "
        "press Allow in Jira, or Jira's answer never reached Conduit. Start connecting again; if "
        "it happens again, ask a Jira administrator to check that the Application Link's "
        "Consumer Callback URL is Conduit's callback."
    )),
    "parameter_absent": (ADMIN, (
        "Jira says OAuth parameters are missing (oauth_problem=parameter_absent{absent}): a proxy "
        "in front of Jira may strip the Authorization header. Let it through to "
        "/plugins/servlet/oauth/ and /rest/."
    )),
    "parameter_rejected": (ADMIN, (
        "Jira rejected OAuth parameters (oauth_problem=parameter_rejected{rejected}). Check that "
        "nothing between Conduit and Jira rewrites the Authorization header."
    )),
    "version_rejected": (ADMIN, (
        "Jira refused the OAuth version (oauth_problem=version_rejected{acceptable})."
    )),
}
PROBLEM_UNKNOWN = (
    "Jira refused the {step} (oauth_problem={problem}, HTTP {status}). A Jira administrator "
    "should check the Application Link's incoming authentication for consumer key "
    "{consumer_key}."
)
NO_PROBLEM_STATUS = (
    "Jira answered HTTP {status} to the {step} without an oauth_problem. A Jira administrator "
    "should check Jira's log (atlassian-jira.log) around this time, and that the Application "
    "Link for consumer key {consumer_key} exists."
)
NOT_FOUND = (
    "Jira has no OAuth endpoint at {url} (HTTP 404): check the registered base URL (with Jira's "
    "context path, for example https://example.com/jira)."
)
HTML_ANSWER = (
    "Jira answered the {step} with an HTML page (HTTP {status}, {content_type}) instead of "
    "{expected}: a single sign-on or login proxy in front of Jira intercepts Conduit's "
    "requests. A Jira administrator must let /plugins/servlet/oauth/ and /rest/ reach Jira "
    "directly."
)
UNREADABLE_ANSWER = (
    "Jira's answer to the {step} (HTTP {status}) carries no oauth_token and oauth_token_secret. "
    "Check that the base URL points at Jira itself."
)
CALLBACK_NOT_REACHED = (
    "Jira did not send you back with its approval: the callback carries no oauth_token and "
    "oauth_verifier (oauth_problem=callback_not_reached). Start connecting again; if it happens "
    "again, a Jira administrator must check that the Application Link's Consumer Callback URL "
    "is {callback} and that your browser can reach Conduit at that address."
)
CALLBACK_MISMATCH = (
    "Jira's answer is for another connection attempt (its oauth_token is not the one Conduit "
    "asked for). Nothing was saved: connect again."
)

STEPS = {
    REQUEST_TOKEN_PATH: "request-token request",
    ACCESS_TOKEN_PATH: "access-token request",
}


class JiraOAuthError(OAuthError):
    """Jira refused an OAuth step or a signed call; `error` is the oauth_problem (or a code of
    Conduit's own: html_answer, http_404, http_<status>, callback_not_reached). The message
    says what to do; `audience` says who can (the Jira admin or the user)."""

    explained = True

    def __init__(self, message: str, *, error: str, audience: str = ADMIN, **kwargs: Any):
        kwargs.setdefault("provider", PROVIDER)
        super().__init__(message, error=error, **kwargs)
        self.audience = audience


class JiraTokenRejected(JiraOAuthError, ApiUnauthorized):
    """The user's access token no longer works (token_rejected, token_expired...): reconnect."""


TOKEN_PROBLEMS = frozenset({"token_rejected", "token_expired", "token_revoked"})


# -- reading Jira's answers -------------------------------------------------------------------
def content_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def problem_parameters(response: requests.Response) -> dict[str, str]:
    """oauth_problem and its companions, from the form body or the WWW-Authenticate header."""
    found: dict[str, str] = {}
    header = response.headers.get("WWW-Authenticate", "")
    if header.lower().startswith("oauth "):
        try:
            found.update(dict(parse_authorization_header(header)))
        except (ValueError, IndexError):
            pass
    if "html" not in content_type(response):
        try:
            body = dict(parse_qsl(response.text.strip(), keep_blank_values=True))
        except ValueError:
            body = {}
        if "oauth_problem" in body:
            found.update(body)
    return found


def _suffix(name: str, parameters: dict[str, str]) -> str:
    value = parameters.get(name)
    return f", {name}={value}" if value else ""


def oauth_error(response: requests.Response, *, server: ServerContext, path: str,
                expected: str = "JSON") -> JiraOAuthError:
    """The JiraOAuthError for an answer of Jira that is a refusal (or not what was asked)."""
    status = response.status_code
    step = STEPS.get(path, f"call to {path}")
    parameters = problem_parameters(response)
    problem = parameters.get("oauth_problem", "")
    if problem:
        audience, template = PROBLEMS.get(problem, (ADMIN, PROBLEM_UNKNOWN))
        message = template.format(
            consumer_key=server.consumer_key, base_url=server.base_url, problem=problem,
            status=status, step=step,
            acceptable=_suffix("oauth_acceptable_timestamps", parameters)
            or _suffix("oauth_acceptable_signature_methods", parameters)
            or _suffix("oauth_acceptable_versions", parameters),
            absent=_suffix("oauth_parameters_absent", parameters),
            rejected=_suffix("oauth_parameters_rejected", parameters),
        )
        error_class = JiraTokenRejected if problem in TOKEN_PROBLEMS else JiraOAuthError
        return error_class(message, error=problem, audience=audience, status=status)
    if "html" in content_type(response):
        return JiraOAuthError(
            HTML_ANSWER.format(step=step, status=status, content_type=content_type(response),
                               expected=expected),
            error="html_answer", status=status,
        )
    if status == 404:
        return JiraOAuthError(NOT_FOUND.format(url=server.base_url + path), error="http_404",
                              status=status)
    return JiraOAuthError(
        NO_PROBLEM_STATUS.format(status=status, step=step, consumer_key=server.consumer_key),
        error=f"http_{status}", status=status,
    )


# -- sessions ---------------------------------------------------------------------------------
def oauth_session(server: ServerContext, **kwargs: Any) -> OAuth1Session:
    """An OAuth1Session signing with RSA-SHA1 as the connection's consumer, behind the guard."""
    return guarded_session(
        allowed_hosts=[server.host],
        session_class=OAuth1Session,
        provider="jira_server",
        client_key=server.consumer_key,
        signature_method=SIGNATURE_RSA,
        rsa_key=server.private_key_pem,
        **kwargs,
    )


def _send(call: Callable[[], T]) -> T:
    try:
        return call()
    except requests.RequestException as error:
        raise error_from_exception(error, provider=PROVIDER) from None


def _token_answer(response: requests.Response, *, server: ServerContext,
                  path: str) -> dict[str, str]:
    """The form-encoded token answer of a 200, or the JiraOAuthError of anything else."""
    if response.status_code != 200 or "html" in content_type(response):
        raise oauth_error(response, server=server, path=path, expected="a token")
    try:
        answer = dict(parse_qsl(response.text.strip(), keep_blank_values=True, strict_parsing=True))
    except ValueError:
        answer = {}
    if not answer.get("oauth_token") or not answer.get("oauth_token_secret"):
        raise JiraOAuthError(
            UNREADABLE_ANSWER.format(step=STEPS[path], status=response.status_code),
            error="unreadable_answer", status=response.status_code,
        )
    return answer


# -- the flow ---------------------------------------------------------------------------------
def authorization_start(*, redirect_uri: str, server: ServerContext) -> AuthorizationStart:
    """A request token, and the consent URL in Jira for the user's browser.

    The request token is the flow's one-time state (tokens.flow compares the callback's
    oauth_token with it); its secret travels as `verifier`, kept in the user's session only.
    """
    session = oauth_session(server, callback_uri=redirect_uri)
    try:
        response = _send(lambda: session.post(server.base_url + REQUEST_TOKEN_PATH,
                                               timeout=TIMEOUT, allow_redirects=False))
    finally:
        session.close()
    answer = _token_answer(response, server=server, path=REQUEST_TOKEN_PATH)
    token = answer["oauth_token"]
    url = f"{server.base_url}{AUTHORIZE_PATH}?{urlencode({'oauth_token': token})}"
    return AuthorizationStart(url=url, state=token, verifier=answer["oauth_token_secret"],
                              request_token=token)


def authorization_finish(*, params: dict[str, str], start: AuthorizationStart,
                         redirect_uri: str, server: ServerContext) -> TokenSet:
    """Exchange the approved request token (with `oauth_verifier`) for the access token."""
    token, verifier = params.get("oauth_token", ""), params.get("oauth_verifier", "")
    if params.get("oauth_problem"):
        problem = str(params["oauth_problem"])
        audience, template = PROBLEMS.get(problem, (ADMIN, PROBLEM_UNKNOWN))
        raise JiraOAuthError(
            template.format(consumer_key=server.consumer_key, base_url=server.base_url,
                            problem=problem, status="-", step="approval", acceptable="",
                            absent="", rejected=""),
            error=problem, audience=audience,
        )
    if verifier == "denied":
        raise JiraOAuthError(PROBLEMS["permission_denied"][1], error="access_denied",
                             audience=USER)
    if not token or not verifier:
        raise JiraOAuthError(CALLBACK_NOT_REACHED.format(callback=redirect_uri),
                             error="callback_not_reached", audience=ADMIN)
    expected = start.request_token or start.state
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise JiraOAuthError(CALLBACK_MISMATCH, error="invalid_state", audience=USER)
    session = oauth_session(server, resource_owner_key=token,
                            resource_owner_secret=start.verifier, verifier=verifier)
    try:
        response = _send(lambda: session.post(server.base_url + ACCESS_TOKEN_PATH,
                                              timeout=TIMEOUT, allow_redirects=False))
    finally:
        session.close()
    answer = _token_answer(response, server=server, path=ACCESS_TOKEN_PATH)
    access_token, secret = answer["oauth_token"], answer["oauth_token_secret"]
    me = myself(server=server, access_token=access_token, token_secret=secret)
    return TokenSet(
        access_token=access_token,
        token_secret=secret,
        expires_at=_expiry(answer.get("oauth_expires_in")),
        account_id=str(me.get("key") or me.get("name") or ""),
        account_name=str(me.get("displayName") or me.get("name") or ""),
        account_email=str(me.get("emailAddress") or ""),
    )


def _expiry(expires_in: str | None) -> datetime | None:
    try:
        seconds = int(expires_in or "")
    except ValueError:
        return None
    return datetime.now(tz=UTC) + timedelta(seconds=seconds)


def myself(*, server: ServerContext, access_token: str, token_secret: str) -> dict[str, Any]:
    """GET /rest/api/2/myself with a fresh access token: who authorised Conduit."""
    from integrations.jira_server.client import JiraClient

    client = JiraClient(server=server, access_token=access_token, token_secret=token_secret)
    try:
        return client.myself()
    finally:
        client.close()
