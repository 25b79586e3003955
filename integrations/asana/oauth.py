"""Asana's OAuth 2.0 authorization code flow with PKCE (S256), refresh and revocation.

https://developers.asana.com/docs/oauth: authorize at GET `-/oauth_authorize`, exchange and
refresh at POST `-/oauth_token` (client_id and client_secret in the form body), revoke at POST
`-/oauth_revoke`. The endpoints' base is the ASANA_OAUTH_URL setting (the sandbox in tests).
Scopes are the least the features need (PRODUCT.md; names from
https://developers.asana.com/docs/oauth-scopes). requests-oauthlib's OAuth2Session does the
consent and the code exchange, the refresh is a plain form POST; all run over the egress-guarded
session, and every failure becomes an
`integrations.errors` type: RFC 6749 error bodies -> OAuthError(error=...), 429 and 5xx ->
ApiRateLimited / ApiUnavailable, timeouts -> ApiTimeout.
"""

from __future__ import annotations

import hmac
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import requests
from oauthlib.oauth2 import OAuth2Error, WebApplicationClient
from requests_oauthlib import OAuth2Session

from integrations.asana.conf import asana_settings
from integrations.asana.oauth_transport import loopback_transport
from integrations.egress import guarded_session, thread_session
from integrations.errors import ApiError, OAuthError, error_from_exception
from integrations.providers import AuthorizationStart, TokenSet

PROVIDER = "Asana"
SCOPES = (
    "tasks:read",
    "tasks:write",
    "users:read",
    "tags:read",
    "projects:read",
    "workspaces:read",
    "custom_fields:read",
    "attachments:read",
    "webhooks:write",
    # Beyond PRODUCT.md's list: uninstalling must remove the subscriptions Conduit created, and
    # Asana's DELETE /webhooks/{gid} needs this scope (its OpenAPI description says so).
    "webhooks:delete",
)
AUTHORIZE_PATH = "oauth_authorize"
TOKEN_PATH = "oauth_token"
REVOKE_PATH = "oauth_revoke"
TIMEOUT = (5.0, 15.0)  # connect, read (seconds)
CODE_VERIFIER_LENGTH = 64  # RFC 7636 4.1: 43..128 characters

STATE_MISMATCH = "The authorization answer does not belong to this sign-in (state mismatch)."
CODE_MISSING = "Asana's answer carries no authorization code."
AUTHORIZATION_REFUSED = "Asana refused the authorization: {error}"
TOKEN_REFUSED = "Asana refused the token request: {error}"
MALFORMED_TOKEN_ANSWER = "Asana's token answer could not be read."


def endpoint(path: str) -> str:
    """An OAuth endpoint under ASANA_OAUTH_URL (which ends with "/-/")."""
    base = str(asana_settings.ASANA_OAUTH_URL)
    return urljoin(base if base.endswith("/") else base + "/", path)


def _session(*, redirect_uri: str | None = None, scope: list[str] | None = None) -> OAuth2Session:
    # No scope on the exchange and refresh sessions: oauthlib would then compare it with the
    # answer's and raise on a difference; the granted scopes are read from the answer instead.
    session = guarded_session(
        session_class=OAuth2Session,
        client_id=asana_settings.ASANA_CLIENT_ID,
        redirect_uri=redirect_uri,
        scope=scope,
    )
    for hook in ("access_token_response", "refresh_token_response"):
        session.register_compliance_hook(hook, _raise_for_error)
    return session


def authorization_start(*, redirect_uri: str) -> AuthorizationStart:
    """The consent URL (with state and an S256 code challenge) and what the callback needs."""
    client = WebApplicationClient(asana_settings.ASANA_CLIENT_ID)
    verifier = client.create_code_verifier(CODE_VERIFIER_LENGTH)
    challenge = client.create_code_challenge(verifier, "S256")
    state = secrets.token_urlsafe(32)
    session = _session(redirect_uri=redirect_uri, scope=list(SCOPES))
    url, _ = _call(
        lambda: session.authorization_url(
            endpoint(AUTHORIZE_PATH),
            state=state,
            code_challenge=challenge,
            code_challenge_method="S256",
        )
    )
    return AuthorizationStart(url=url, state=state, verifier=verifier)


def authorization_finish(
    *, params: dict[str, str], start: AuthorizationStart, redirect_uri: str
) -> TokenSet:
    """Check the callback's state, then exchange its code with the PKCE code_verifier.

    Raises OAuthError (the user denied, the state does not match, the code is invalid...),
    ApiUnavailable / ApiTimeout when Asana cannot answer.
    """
    expected = (start.state or "").encode()
    if not expected or not hmac.compare_digest(str(params.get("state", "")).encode(), expected):
        raise OAuthError(STATE_MISMATCH, error="invalid_state", provider=PROVIDER)
    if params.get("error"):
        error = str(params["error"])
        raise OAuthError(AUTHORIZATION_REFUSED.format(error=error), error=error, provider=PROVIDER)
    code = params.get("code")
    if not code:
        raise OAuthError(CODE_MISSING, error="invalid_request", provider=PROVIDER)
    session = _session(redirect_uri=redirect_uri)
    token = _call(
        lambda: session.fetch_token(
            endpoint(TOKEN_PATH),
            code=code,
            include_client_id=True,
            client_secret=asana_settings.ASANA_CLIENT_SECRET,
            code_verifier=start.verifier,
            timeout=TIMEOUT,
        )
    )
    return _token_set(token, refresh_token=token.get("refresh_token"))


def refresh(*, refresh_token: str) -> TokenSet:
    """A new access token. Asana answers without a refresh token (keep the old one: the
    TokenSet's refresh_token is then None); a rotating server sends a new one, which replaces it.
    invalid_grant (revoked, reused) raises OAuthError with needs_reconnect.

    A plain form POST (RFC 6749 section 6, the client's credentials in the body as Asana asks)
    over the thread's guarded session, not an OAuth2Session built per call: the sweep refreshes
    thousands of accounts and the session's construction cost more than the request. oauthlib's
    https rule is kept by the guard (plain http only to loopback, only when allowed).
    """
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": asana_settings.ASANA_CLIENT_ID,
        "client_secret": asana_settings.ASANA_CLIENT_SECRET,
    }
    try:
        response = thread_session().post(endpoint(TOKEN_PATH), data=form, timeout=TIMEOUT,
                                         headers={"Accept": "application/json"})
    except requests.RequestException as error:
        raise error_from_exception(error, provider=PROVIDER) from None
    _raise_for_error(response)
    body = _json(response)
    if not body.get("access_token") or not body.get("token_type"):
        # what oauthlib refused too (MissingTokenError, MissingTokenTypeError)
        raise OAuthError(MALFORMED_TOKEN_ANSWER, error="invalid_response", provider=PROVIDER)
    return _token_set(body, refresh_token=body.get("refresh_token") or None)


def revoke(*, token: str) -> None:
    """Revoke a refresh token (its whole authorization) or an access token (RFC 7009).

    Unknown tokens are a success (RFC 7009 2.2); a refusal raises OAuthError, 5xx and timeouts
    ApiUnavailable / ApiTimeout, so the caller can record the failure and retry.
    """
    session = guarded_session()
    form = {
        "client_id": asana_settings.ASANA_CLIENT_ID,
        "client_secret": asana_settings.ASANA_CLIENT_SECRET,
        "token": token,
    }
    try:
        response = session.post(endpoint(REVOKE_PATH), data=form, timeout=TIMEOUT)
    except requests.RequestException as error:
        raise error_from_exception(error, provider=PROVIDER) from None
    _raise_for_error(response)


# --- helpers ---------------------------------------------------------------------------------


def _call(exchange: Any) -> Any:
    try:
        with loopback_transport():
            return exchange()
    except requests.RequestException as error:
        raise error_from_exception(error, provider=PROVIDER) from None
    except OAuth2Error as error:  # a 200 answer oauthlib could not accept (no access_token...)
        raise OAuthError(
            TOKEN_REFUSED.format(error=error.error), error=error.error, provider=PROVIDER
        ) from None
    except ValueError:
        raise OAuthError(
            MALFORMED_TOKEN_ANSWER, error="invalid_response", provider=PROVIDER
        ) from None


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _raise_for_error(response: requests.Response) -> requests.Response:
    """RFC 6749 5.2 error bodies -> OAuthError; 429, 5xx and other answers -> ApiError types."""
    if response.status_code < 400:
        return response
    body = _json(response)
    description = str(body.get("error_description") or body.get("error") or "")
    if response.status_code == 429 or response.status_code >= 500:
        raise ApiError.from_response(response, provider=PROVIDER, message=description)
    if body.get("error"):
        error = str(body["error"])
        raise OAuthError(
            TOKEN_REFUSED.format(error=description or error),
            error=error,
            status=response.status_code,
            provider=PROVIDER,
        )
    raise ApiError.from_response(response, provider=PROVIDER, message=description)


def _token_set(token: dict[str, Any], *, refresh_token: str | None) -> TokenSet:
    expires_at = None
    if token.get("expires_in") is not None:
        expires_at = datetime.now(UTC) + timedelta(seconds=float(token["expires_in"]))
    scope = token.get("scope")
    scopes = " ".join(scope) if isinstance(scope, list | tuple) else (scope or " ".join(SCOPES))
    user = token.get("data") if isinstance(token.get("data"), dict) else {}
    return TokenSet(
        access_token=str(token["access_token"]),
        refresh_token=refresh_token,
        expires_at=expires_at,
        scopes=scopes,
        account_id=str(user.get("gid") or user.get("id") or ""),
        account_name=str(user.get("name") or ""),
        account_email=str(user.get("email") or ""),
    )
