"""OAuth 1.0a problems and the oauthlib request validator of the Jira Server simulator.

Jira Server's OAuth service provider (atlassian-oauth, built on net.oauth) reports failures with
the OAuth Problem Reporting extension: a status from net.oauth's `OAuth.Problems.TO_HTTP_CODE`
(400 for parameter_absent, timestamp_refused, signature_method_rejected...; 401 for
signature_invalid, token_rejected, token_expired, consumer_key_unknown, permission_unknown,
permission_denied...), a header `WWW-Authenticate: OAuth realm="<base url>", oauth_problem="..."`
and a form-encoded body `oauth_problem=...` (net.oauth `OAuthServlet.handleException`). The values
are those Atlassian's OAuth troubleshooting guide lists
(https://confluence.atlassian.com/kb/oauth-troubleshooting-guide-719095274.html).

Signatures are verified for real by oauthlib's server endpoints with `JiraRequestValidator`, over
the in-memory consumers (Application Links) and tokens of `JiraState`.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any
from urllib.parse import quote

from oauthlib.oauth1 import AccessTokenEndpoint, RequestValidator
from oauthlib.oauth1.rfc5849 import SIGNATURE_RSA_SHA1

from ..base import Response
from .state import (
    ACCESS_TOKEN_LIFETIME,
    SESSION_LIFETIME,
    AccessToken,
    JiraState,
    RequestToken,
)

# net.oauth OAuth.Problems.TO_HTTP_CODE; anything else answers 403 as OAuthServlet does.
PROBLEM_STATUS = {
    "version_rejected": 400,
    "parameter_absent": 400,
    "parameter_rejected": 400,
    "timestamp_refused": 400,
    "signature_method_rejected": 400,
    "nonce_used": 401,
    "token_used": 401,
    "token_expired": 401,
    "token_revoked": 401,
    "token_rejected": 401,
    "token_not_authorized": 401,
    "signature_invalid": 401,
    "consumer_key_unknown": 401,
    "consumer_key_rejected": 401,
    "additional_authorization_required": 401,
    "permission_unknown": 401,
    "permission_denied": 401,
    "user_refused": 503,
    "consumer_key_refused": 503,
}

# net.oauth SimpleOAuthValidator's default window, which Jira keeps.
TIMESTAMP_WINDOW = 300


def percent_encode(value: str) -> str:
    """OAuth percent-encoding (RFC 5849 section 3.6)."""
    return quote(value, safe="~")


class OAuthProblem(Exception):
    """One oauth_problem, with the extra parameters Jira adds (oauth_parameters_absent...)."""

    def __init__(self, problem: str, **parameters: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.parameters = parameters

    @property
    def status(self) -> int:
        return PROBLEM_STATUS.get(self.problem, 403)

    def pairs(self) -> list[tuple[str, str]]:
        return [("oauth_problem", self.problem), *self.parameters.items()]

    def www_authenticate(self, realm: str) -> str:
        parts = [f'OAuth realm="{percent_encode(realm)}"']
        parts += [f'{name}="{percent_encode(value)}"' for name, value in self.pairs()]
        return ", ".join(parts)

    def response(self, realm: str) -> Response:
        body = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in self.pairs())
        return Response(
            status=self.status,
            body=body.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
                "WWW-Authenticate": self.www_authenticate(realm),
            },
        )


_dummy_key_lock = threading.Lock()
_dummy_public_key: str | None = None


def dummy_public_key() -> str:
    """A throwaway public key for oauthlib's constant-time path on unknown consumers."""
    global _dummy_public_key
    with _dummy_key_lock:
        if _dummy_public_key is None:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import rsa

            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            _dummy_public_key = (
                key.public_key()
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                .decode()
            )
        return _dummy_public_key


class JiraRequestValidator(RequestValidator):
    """oauthlib's view of `JiraState`. One instance per HTTP request: `problem` and
    `approving_user` belong to that request only."""

    def __init__(self, state: JiraState, approving_user: str | None = None) -> None:
        super().__init__()
        self.state = state
        self.approving_user = approving_user
        self.problem: OAuthProblem | None = None

    def _fail(self, problem: str) -> bool:
        if self.problem is None:
            self.problem = OAuthProblem(problem)
        return False

    # Jira accepts any consumer key and token shape; only the signature method is restricted.
    enforce_ssl = False
    allowed_signature_methods = (SIGNATURE_RSA_SHA1,)
    timestamp_lifetime = TIMESTAMP_WINDOW
    dummy_client = "dummy-consumer"
    dummy_request_token = "dummy-request-token"
    dummy_access_token = "dummy-access-token"

    def check_client_key(self, client_key: str) -> bool:
        return bool(client_key)

    def check_request_token(self, request_token: str) -> bool:
        return bool(request_token)

    def check_access_token(self, request_token: str) -> bool:
        return bool(request_token)

    def check_nonce(self, nonce: str) -> bool:
        return bool(nonce)

    def check_verifier(self, verifier: str) -> bool:
        return bool(verifier)

    def check_realms(self, realms: Any) -> bool:
        return True

    # -- lookups ------------------------------------------------------------------------------
    def validate_client_key(self, client_key, request) -> bool:
        with self.state.lock:
            return client_key in self.state.consumers or self._fail("consumer_key_unknown")

    def get_rsa_key(self, client_key, request) -> str:
        with self.state.lock:
            consumer = self.state.consumers.get(client_key)
        return consumer.public_key_pem if consumer else dummy_public_key()

    def get_client_secret(self, client_key, request) -> str:
        return ""  # RSA consumers have no shared secret; HMAC never validates

    def get_request_token_secret(self, client_key, token, request) -> str:
        with self.state.lock:
            found = self.state.request_tokens.get(token)
        return found.secret if found else ""

    def get_access_token_secret(self, client_key, token, request) -> str:
        with self.state.lock:
            found = self.state.access_tokens.get(token)
        return found.secret if found else ""

    def validate_timestamp_and_nonce(self, client_key, timestamp, nonce, request, **tokens) -> bool:
        with self.state.lock:
            fresh = self.state.remember_nonce(client_key, timestamp, nonce, TIMESTAMP_WINDOW)
        return fresh or self._fail("nonce_used")

    def validate_request_token(self, client_key, token, request) -> bool:
        with self.state.lock:
            found = self.state.request_tokens.get(token)
            if found is None or found.consumer_key != client_key:
                return self._fail("token_rejected")
            if found.expired(time.time()):
                return self._fail("token_expired")
        return True

    def validate_access_token(self, client_key, token, request) -> bool:
        with self.state.lock:
            found = self.state.access_tokens.get(token)
            if found is None or found.consumer_key != client_key:
                return self._fail("token_rejected")
            if found.expired(time.time()):
                return self._fail("token_expired")
        return True

    def validate_verifier(self, client_key, token, verifier, request) -> bool:
        with self.state.lock:
            found = self.state.request_tokens.get(token)
            if found is None or found.authorization != "authorized":
                return self._fail("permission_unknown")
            if not secrets.compare_digest(found.verifier or "", verifier):
                return self._fail("token_rejected")
        return True

    def validate_redirect_uri(self, client_key, redirect_uri, request) -> bool:
        return True

    def validate_requested_realms(self, client_key, realms, request) -> bool:
        return True

    def validate_realms(self, client_key, token, request, uri=None, realms=None) -> bool:
        return True

    def get_default_realms(self, client_key, request) -> list[str]:
        return []

    def get_realms(self, token, request) -> list[str]:
        return []

    def verify_realms(self, token, realms, request) -> bool:
        return True

    def verify_request_token(self, token, request) -> bool:
        with self.state.lock:
            return token in self.state.request_tokens

    def get_redirect_uri(self, token, request) -> str:
        with self.state.lock:
            return self.state.request_tokens[token].callback

    # -- storage ------------------------------------------------------------------------------
    def save_request_token(self, token, request) -> None:
        with self.state.lock:
            self.state.request_tokens[token["oauth_token"]] = RequestToken(
                token=token["oauth_token"],
                secret=token["oauth_token_secret"],
                consumer_key=request.client_key,
                callback=request.redirect_uri,
                created=time.time(),
            )

    def save_verifier(self, token, verifier, request) -> None:
        with self.state.lock:
            found = self.state.request_tokens[token]
            found.authorization = "authorized"
            found.user = self.approving_user
            found.verifier = verifier["oauth_verifier"]

    def save_access_token(self, token, request) -> None:
        now = time.time()
        with self.state.lock:
            request_token = self.state.request_tokens[request.resource_owner_key]
            self.state.access_tokens[token["oauth_token"]] = AccessToken(
                token=token["oauth_token"],
                secret=token["oauth_token_secret"],
                consumer_key=request.client_key,
                user=request_token.user or "",
                created=now,
                expires_at=now + ACCESS_TOKEN_LIFETIME,
                session_handle=token["oauth_session_handle"],
            )

    def invalidate_request_token(self, client_key, request_token, request) -> None:
        with self.state.lock:
            self.state.request_tokens.pop(request_token, None)


class JiraAccessTokenEndpoint(AccessTokenEndpoint):
    """Answers the access token as Jira does: token, secret, expiry and the session handle
    (atlassian-oauth's AccessTokenServlet), without oauthlib's `oauth_authorized_realms`."""

    def create_access_token(self, request, credentials):
        token = {
            "oauth_token": self.token_generator(),
            "oauth_token_secret": self.token_generator(),
            "oauth_expires_in": str(ACCESS_TOKEN_LIFETIME),
            "oauth_session_handle": self.token_generator(),
            "oauth_authorization_expires_in": str(SESSION_LIFETIME),
        }
        self.request_validator.save_access_token(token, request)
        return "&".join(f"{k}={percent_encode(v)}" for k, v in token.items())
