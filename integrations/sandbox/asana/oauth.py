"""Asana's OAuth 2.0 endpoints: consent page, token exchange, refresh and revocation.

https://developers.asana.com/docs/oauth: `GET /-/oauth_authorize` (authorization code grant,
PKCE with `code_challenge_method=S256`), `POST /-/oauth_token` (grant types
`authorization_code` and `refresh_token`; the answer carries access_token, token_type bearer,
expires_in, refresh_token and `data` {id, gid, name, email}), `POST /-/oauth_revoke`.
Errors are RFC 6749 section 5.2 bodies. Tokens are kept as SHA-256 digests only.

Refresh tokens, as at Asana by default (`rotate_refresh_tokens=false`): a refresh answers a new
access token and no refresh token, and the refresh token stays valid until revoked, so a
refresh whose answer was lost costs nothing. With rotation on (the way Okta, Auth0 and the
OAuth 2.0 Security BCP's refresh token rotation work) each refresh answers a new refresh token
and the used one is spent; presenting a spent one again revokes the whole grant (RFC 9700
4.14.2), except within `refresh_reuse_seconds` of its first use (Okta's "grace period", Auth0's
"reuse interval"), when it is exchanged again for a new pair: a client whose answer was lost
retries with it. 0 means no reuse window.

The `lose_refresh_answers` control makes the next refresh answers get lost: the refresh is
processed (a rotating token is spent) and the answer is held back for `hang_seconds`, longer
than the client waits, as when a client's timeout fires or its process dies mid-call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from integrations.sandbox.asana.scopes import KNOWN_SCOPES
from integrations.sandbox.base import Request, Response

if TYPE_CHECKING:
    from integrations.sandbox.asana.app import AsanaSandbox
    from integrations.sandbox.asana.store import User

CODE_LIFETIME_SECONDS = 600
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_PKCE_VALUE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")

UNKNOWN_CLIENT = "Unknown client_id"
BAD_REDIRECT_URI = "redirect_uri must be an absolute http(s) URL"
ONLY_S256 = "Only code_challenge_method=S256 is supported"
BAD_CODE_CHALLENGE = "code_challenge must be 43-128 characters of [A-Za-z0-9-._~]"
UNKNOWN_SCOPE = "Unknown scope: {scope}"
CLIENT_AUTH_FAILED = "Client authentication failed"
TWO_CLIENT_AUTH_METHODS = "Use one client authentication method, not both"
MISSING_PARAMETER = "Missing parameter: {name}"
UNSUPPORTED_GRANT = "grant_type must be authorization_code or refresh_token"
CODE_INVALID = "The authorization code is invalid or expired"
CODE_REUSED = "The authorization code was already used; tokens issued from it are revoked"
CODE_OTHER_CLIENT = "The authorization code was issued to another client"
REDIRECT_MISMATCH = "redirect_uri does not match the authorization request"
VERIFIER_MISSING = "code_verifier is required: the authorization request used PKCE"
VERIFIER_MISMATCH = "code_verifier does not match the code_challenge"
REFRESH_INVALID = "The refresh token is invalid or revoked"
REFRESH_REUSED = "The refresh token was already used; the authorization is revoked"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OAuthError(Exception):
    """An RFC 6749 section 5.2 error answer of the token or revocation endpoint."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> Response:
        headers = dict(NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="asana-sandbox"'
        body = {"error": self.error, "error_description": self.description}
        return Response.json(body, status=self.status, headers=headers)


@dataclass
class Grant:
    """One consent: the refresh-token family and every access token issued under it."""

    user: str
    client_id: str
    scopes: frozenset[str]
    revoked: bool = False


@dataclass
class AccessToken:
    grant: Grant
    expires_at: float
    revoked: bool = False

    def active(self) -> bool:
        return not (self.revoked or self.grant.revoked)


@dataclass
class RefreshToken:
    grant: Grant
    used: bool = False
    revoked: bool = False
    used_at: float = 0.0  # time.time() of the first use, for the reuse window


@dataclass
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    user: str
    scopes: frozenset[str]
    code_challenge: str | None
    expires_at: float
    used: bool = False
    grants: list[Grant] = field(default_factory=list)


class OAuthServer:
    """Codes and tokens of one simulator run (digests only); guarded by the app's lock."""

    def __init__(self, app: AsanaSandbox) -> None:
        self.app = app
        self.codes: dict[str, AuthorizationCode] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.lost_answers = 0  # the next this many successful refresh answers are held back
        self.lost_answer_hang_seconds = 30.0

    def lose_refresh_answers(self, *, times: int, hang_seconds: float) -> None:
        with self.app.lock:
            self.lost_answers = max(0, int(times))
            self.lost_answer_hang_seconds = float(hang_seconds)

    # -- authorize -------------------------------------------------------------------------
    def authorize_page(self, request: Request) -> Response:
        params = {key: values[0] for key, values in request.query.items()}
        problem = self._authorize_problem(params)
        if problem is not None:
            return problem
        return Response.html(self._consent_markup(params), headers=NO_STORE)

    def authorize_decision(self, request: Request) -> Response:
        params = request.form()
        problem = self._authorize_problem(params)
        if problem is not None:
            return problem
        if params.get("decision") != "allow":
            return _redirect(params, {"error": "access_denied"})
        user = self.app.store.users.get(params.get("user", ""))
        if user is None:
            return _redirect(params, {"error": "access_denied"})
        code = secrets.token_urlsafe(24)
        with self.app.lock:
            self.codes[digest(code)] = AuthorizationCode(
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                user=user.gid,
                scopes=_scopes(params.get("scope", "")),
                code_challenge=params.get("code_challenge") or None,
                expires_at=time.time() + CODE_LIFETIME_SECONDS,
            )
        return _redirect(params, {"code": code})

    def _authorize_problem(self, params: dict[str, str]) -> Response | None:
        """RFC 6749 4.1.2.1: a bad client or redirect URI is shown, never redirected to."""
        if params.get("client_id") != self.app.client_id:
            return _error_page(UNKNOWN_CLIENT)
        target = urlsplit(params.get("redirect_uri", ""))
        if target.scheme not in ("http", "https") or not target.netloc or target.fragment:
            return _error_page(BAD_REDIRECT_URI)
        if params.get("response_type") != "code":
            return _redirect(params, {"error": "unsupported_response_type"})
        challenge = params.get("code_challenge")
        if challenge and params.get("code_challenge_method") != "S256":
            return _redirect(params, {"error": "invalid_request", "error_description": ONLY_S256})
        if challenge and not _PKCE_VALUE.match(challenge):
            return _redirect(
                params, {"error": "invalid_request", "error_description": BAD_CODE_CHALLENGE}
            )
        unknown = sorted(_scopes(params.get("scope", "")) - KNOWN_SCOPES)
        if unknown:
            description = UNKNOWN_SCOPE.format(scope=unknown[0])
            return _redirect(params, {"error": "invalid_scope", "error_description": description})
        return None

    def _consent_markup(self, params: dict[str, str]) -> str:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(key)}" value="{html.escape(value)}">'
            for key, value in params.items()
            if key
            in {
                "client_id",
                "redirect_uri",
                "response_type",
                "state",
                "scope",
                "code_challenge",
                "code_challenge_method",
            }
        )
        options = "".join(
            f'<option value="{user.gid}">{html.escape(user.name)} &lt;{html.escape(user.email)}&gt;'
            "</option>"
            for user in self.app.store.users.values()
        )
        scopes = html.escape(params.get("scope") or "default")
        return (
            "<!doctype html><html><head><meta charset='utf-8'><title>Asana sandbox: authorize"
            "</title><link rel='icon' href='data:,'></head>"  # no /favicon.ico request
            "<body><main><h1>Grant access to your Asana account?</h1>"
            f"<p>The application <strong>{html.escape(params['client_id'])}</strong> asks for: "
            f"<code id='scopes'>{scopes}</code></p>"
            '<form method="post" action="/-/oauth_authorize">'
            f"{hidden}"
            '<label for="user">Sign in as</label> '
            f'<select id="user" name="user">{options}</select> '
            '<button type="submit" id="allow" name="decision" value="allow">Allow</button> '
            '<button type="submit" id="deny" name="decision" value="deny">Deny</button>'
            "</form></main></body></html>"
        )

    # -- token -----------------------------------------------------------------------------
    def token(self, request: Request) -> Response:
        try:
            form = request.form()
            client_id = self._authenticate_client(request, form)
            grant_type = form.get("grant_type")
            if not grant_type:
                raise OAuthError("invalid_request", MISSING_PARAMETER.format(name="grant_type"))
            if grant_type == "authorization_code":
                return self._exchange_code(form, client_id)
            if grant_type == "refresh_token":
                response = self._refresh(form, client_id)
                self._maybe_lose(response)
                return response
            raise OAuthError("unsupported_grant_type", UNSUPPORTED_GRANT)
        except OAuthError as error:
            return error.response()

    def _authenticate_client(self, request: Request, form: dict[str, str]) -> str:
        """RFC 6749 2.3.1: HTTP Basic or client_id/client_secret in the body, not both."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            if "client_secret" in form:
                raise OAuthError("invalid_request", TWO_CLIENT_AUTH_METHODS)
            try:
                decoded = base64.b64decode(header[6:].strip()).decode()
                client_id, client_secret = (unquote(part) for part in decoded.split(":", 1))
            except (ValueError, UnicodeDecodeError) as error:
                raise OAuthError("invalid_client", CLIENT_AUTH_FAILED, 401) from error
        else:
            client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        valid_id = hmac.compare_digest(client_id, self.app.client_id)
        valid_secret = hmac.compare_digest(client_secret, self.app.client_secret)
        if not (valid_id and valid_secret and self.app.client_secret):
            raise OAuthError("invalid_client", CLIENT_AUTH_FAILED, 401)
        return client_id

    def _exchange_code(self, form: dict[str, str], client_id: str) -> Response:
        code = form.get("code")
        if not code:
            raise OAuthError("invalid_request", MISSING_PARAMETER.format(name="code"))
        with self.app.lock:
            record = self.codes.get(digest(code))
            if record is None or record.expires_at < time.time():
                raise OAuthError("invalid_grant", CODE_INVALID)
            if record.used:
                # RFC 6749 4.1.2: a code used twice revokes what it produced.
                for grant in record.grants:
                    grant.revoked = True
                raise OAuthError("invalid_grant", CODE_REUSED)
            if record.client_id != client_id:
                raise OAuthError("invalid_grant", CODE_OTHER_CLIENT)
            if form.get("redirect_uri") != record.redirect_uri:
                raise OAuthError("invalid_grant", REDIRECT_MISMATCH)
            if record.code_challenge is not None:
                _check_verifier(form.get("code_verifier"), record.code_challenge)
            record.used = True
            grant = Grant(record.user, client_id, record.scopes)
            record.grants.append(grant)
            return self._token_response(grant, with_refresh_token=True)

    def _refresh(self, form: dict[str, str], client_id: str) -> Response:
        token = form.get("refresh_token")
        if not token:
            raise OAuthError("invalid_request", MISSING_PARAMETER.format(name="refresh_token"))
        with self.app.lock:
            record = self.refresh_tokens.get(digest(token))
            if record is None or record.revoked or record.grant.revoked:
                raise OAuthError("invalid_grant", REFRESH_INVALID)
            if record.grant.client_id != client_id:
                raise OAuthError("invalid_grant", REFRESH_INVALID)
            if record.used:
                window = self.app.refresh_reuse_seconds
                if not (window > 0 and time.time() - record.used_at <= window):
                    # Reuse of a rotated refresh token (OAuth 2.0 Security BCP, RFC 9700 4.14.2).
                    record.grant.revoked = True
                    raise OAuthError("invalid_grant", REFRESH_REUSED)
            rotate = self.app.rotate_refresh_tokens
            if rotate and not record.used:
                record.used = True
                record.used_at = time.time()
            # Asana answers a refresh without a new refresh token; rotation adds one.
            return self._token_response(record.grant, with_refresh_token=rotate)

    def _maybe_lose(self, response: Response) -> None:
        """Hold a successful refresh answer back when the lose_refresh_answers control asks."""
        with self.app.lock:
            if response.status != 200 or self.lost_answers <= 0:
                return
            self.lost_answers -= 1
            hang = self.lost_answer_hang_seconds
        time.sleep(hang)  # outside the lock: other requests are served meanwhile

    def _token_response(self, grant: Grant, *, with_refresh_token: bool) -> Response:
        user = self.app.store.users[grant.user]
        lifetime = self.app.token_lifetime
        access_token = f"2/{user.gid}/{secrets.token_hex(16)}:{secrets.token_hex(16)}"
        self.access_tokens[digest(access_token)] = AccessToken(grant, time.time() + lifetime)
        body = {
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": lifetime,
            "data": {"id": int(user.gid), "gid": user.gid, "name": user.name, "email": user.email},
        }
        if with_refresh_token:
            refresh_token = f"2/{user.gid}/{secrets.token_hex(24)}"
            self.refresh_tokens[digest(refresh_token)] = RefreshToken(grant)
            body["refresh_token"] = refresh_token
        return Response.json(body, headers=NO_STORE)

    # -- revoke ----------------------------------------------------------------------------
    def revoke(self, request: Request) -> Response:
        try:
            form = request.form()
            self._authenticate_client(request, form)
            token = form.get("token")
            if not token:
                raise OAuthError("invalid_request", MISSING_PARAMETER.format(name="token"))
        except OAuthError as error:
            return error.response()
        self.revoke_token(token)
        return Response(status=200, headers=dict(NO_STORE))  # RFC 7009 2.2: even if unknown

    def revoke_token(self, token: str) -> bool:
        """A refresh token revokes its whole authorization; an access token only itself."""
        with self.app.lock:
            key = digest(token)
            if key in self.refresh_tokens:
                self.refresh_tokens[key].grant.revoked = True
                return True
            if key in self.access_tokens:
                self.access_tokens[key].revoked = True
                return True
        return False

    # -- used by the API and the controls --------------------------------------------------
    def access_token(self, token: str) -> AccessToken | None:
        return self.access_tokens.get(digest(token))

    def issue(self, user: User, scopes: frozenset[str] = frozenset()) -> dict:
        """A token pair without the browser flow (the /_sandbox/issue_token control)."""
        with self.app.lock:
            grant = Grant(user.gid, self.app.client_id, scopes)
            response = self._token_response(grant, with_refresh_token=True)
        return json.loads(response.body)

    def expire(self, *, token: str | None = None, user_gid: str | None = None) -> int:
        with self.app.lock:
            matched = [
                record
                for key, record in self.access_tokens.items()
                if (token is not None and key == digest(token))
                or (user_gid is not None and record.grant.user == user_gid)
            ]
            for record in matched:
                record.expires_at = time.time() - 1
        return len(matched)


def _scopes(raw: str) -> frozenset[str]:
    return frozenset(part for part in raw.split() if part)


def _check_verifier(verifier: str | None, challenge: str) -> None:
    """RFC 7636 4.6: BASE64URL(SHA256(code_verifier)) must equal the stored challenge."""
    if not verifier:
        raise OAuthError("invalid_grant", VERIFIER_MISSING)
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    if not _PKCE_VALUE.match(verifier) or not hmac.compare_digest(
        computed.decode().rstrip("="), challenge
    ):
        raise OAuthError("invalid_grant", VERIFIER_MISMATCH)


def _redirect(params: dict[str, str], extra: dict[str, str]) -> Response:
    """Back to redirect_uri with the result and the state, keeping its own query."""
    target = urlsplit(params["redirect_uri"])
    query = parse_qsl(target.query, keep_blank_values=True) + list(extra.items())
    if params.get("state") is not None:
        query.append(("state", params["state"]))
    location = urlunsplit((target.scheme, target.netloc, target.path, urlencode(query), ""))
    response = Response.redirect(location)
    response.headers.update(NO_STORE)
    return response


def _error_page(message: str) -> Response:
    return Response.html(
        f"<!doctype html><title>Asana sandbox: error</title><p id='error'>{html.escape(message)}</p>",
        status=400,
    )
