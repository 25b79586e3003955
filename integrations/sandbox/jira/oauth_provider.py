"""The OAuth 1.0a dance and request authentication of the Jira Server simulator.

Jira Server's flow (https://developer.atlassian.com/server/jira/platform/oauth/):
`POST /plugins/servlet/oauth/request-token` → the user approves at
`/plugins/servlet/oauth/authorize?oauth_token=...` → `POST /plugins/servlet/oauth/access-token`,
every request signed with RSA-SHA1 by the consumer registered as an Application Link.

Checks run in the order atlassian-oauth runs them, so the oauth_problem a client sees is the one
Jira would report: the token first (token_rejected, token_expired, permission_unknown /
permission_denied for request tokens not approved), then the message (parameter_absent,
timestamp_refused outside a 5-minute window, nonce_used, signature method), then the consumer
(consumer_key_unknown), then the signature itself, verified by oauthlib. The URI that was signed
is rebuilt from the Host header, as Jira rebuilds it from the request
(https://confluence.atlassian.com/kb/oauth-error-oauth_problem-signature_invalid-720406720.html).

A request signed with HMAC-SHA1 is refused as signature_invalid (an RSA consumer has no shared
secret), which matters: the `jira` Python library (jira/client.py, `_create_oauth_session`) tries
HMAC-SHA1 first and falls back to RSA-SHA1 when `myself` answers an error.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from oauthlib.oauth1 import AuthorizationEndpoint, RequestTokenEndpoint, ResourceEndpoint
from oauthlib.oauth1.rfc5849 import SIGNATURE_RSA_SHA1, signature, utils

from ..base import Request, Response
from .oauth1 import (
    TIMESTAMP_WINDOW,
    JiraAccessTokenEndpoint,
    JiraRequestValidator,
    OAuthProblem,
    percent_encode,
)
from .state import JiraState, RequestToken

REQUIRED_MESSAGE_PARAMETERS = (
    "oauth_consumer_key",
    "oauth_signature_method",
    "oauth_signature",
    "oauth_timestamp",
    "oauth_nonce",
)
# Signature methods net.oauth knows: with an RSA consumer, HMAC-SHA1 and PLAINTEXT are computed
# with an empty secret and fail as signature_invalid; unknown names are rejected outright.
KNOWN_SIGNATURE_METHODS = ("RSA-SHA1", "HMAC-SHA1", "PLAINTEXT")


class OAuthProvider:
    """Token endpoints and request authentication over one `JiraState`."""

    def __init__(self, state: JiraState) -> None:
        self.state = state

    # -- the request as it was signed -------------------------------------------------------
    @staticmethod
    def origin(request: Request, fallback: str) -> str:
        host = request.headers.get("host")
        return f"http://{host}" if host else fallback

    def signed_uri(self, request: Request, fallback: str) -> str:
        query = urlencode([(k, v) for k, values in request.query.items() for v in values])
        return f"{self.origin(request, fallback)}{request.path}" + (f"?{query}" if query else "")

    @staticmethod
    def form_body(request: Request) -> str:
        if request.content_type == "application/x-www-form-urlencoded":
            return request.body.decode("utf-8", "replace")
        return ""

    def oauth_parameters(self, request: Request) -> dict[str, str]:
        query = urlencode([(k, v) for k, values in request.query.items() for v in values])
        try:
            collected = signature.collect_parameters(
                uri_query=query,
                body=self.form_body(request) or None,
                headers={"Authorization": request.headers.get("authorization", "")}
                if request.headers.get("authorization", "").lower().startswith("oauth ")
                else None,
                exclude_oauth_signature=False,
            )
        except ValueError:
            raise OAuthProblem("parameter_rejected") from None
        return dict(utils.filter_oauth_params(collected))

    @staticmethod
    def is_oauth_request(request: Request) -> bool:
        return request.headers.get("authorization", "").lower().startswith("oauth ")

    def signature_problem(self, request: Request, uri: str) -> OAuthProblem:
        """signature_invalid with the base string the server computed, as net.oauth reports it."""
        try:
            parameters = signature.collect_parameters(
                uri_query=uri.partition("?")[2],
                body=self.form_body(request) or None,
                headers={"Authorization": request.headers.get("authorization", "")},
            )
            base_string = signature.signature_base_string(
                request.method,
                signature.base_string_uri(uri.partition("?")[0]),
                signature.normalize_parameters(parameters),
            )
        except ValueError:
            return OAuthProblem("signature_invalid")
        method = self.oauth_parameters(request).get("oauth_signature_method", "")
        return OAuthProblem(
            "signature_invalid",
            oauth_signature_base_string=base_string,
            oauth_signature_method=method,
        )

    # -- checks shared by all endpoints -------------------------------------------------------
    def check_message(self, parameters: dict[str, str]) -> None:
        """net.oauth SimpleOAuthValidator: parameters, version, timestamp, nonce, method."""
        absent = [name for name in REQUIRED_MESSAGE_PARAMETERS if not parameters.get(name)]
        if absent:
            raise OAuthProblem("parameter_absent", oauth_parameters_absent="&".join(absent))
        if parameters.get("oauth_version", "1.0") != "1.0":
            raise OAuthProblem("version_rejected", oauth_acceptable_versions="1.0-1.0")
        now = int(time.time())
        try:
            timestamp = int(parameters["oauth_timestamp"])
        except ValueError:
            raise OAuthProblem(
                "parameter_rejected", oauth_parameters_rejected="oauth_timestamp"
            ) from None
        if abs(now - timestamp) > TIMESTAMP_WINDOW:
            raise OAuthProblem(
                "timestamp_refused",
                oauth_acceptable_timestamps=f"{now - TIMESTAMP_WINDOW}-{now + TIMESTAMP_WINDOW}",
            )
        nonce_key = (
            parameters["oauth_consumer_key"],
            parameters["oauth_timestamp"],
            parameters["oauth_nonce"],
        )
        with self.state.lock:
            if nonce_key in self.state.used_nonces:
                raise OAuthProblem("nonce_used")
        method = parameters["oauth_signature_method"]
        if method not in KNOWN_SIGNATURE_METHODS:
            raise OAuthProblem(
                "signature_method_rejected", oauth_acceptable_signature_methods=SIGNATURE_RSA_SHA1
            )

    def check_consumer(self, parameters: dict[str, str]) -> None:
        with self.state.lock:
            if parameters["oauth_consumer_key"] not in self.state.consumers:
                raise OAuthProblem("consumer_key_unknown")

    def finish(self, validator: JiraRequestValidator, request: Request, uri: str) -> OAuthProblem:
        """What to report when oauthlib refused a request that passed the checks above."""
        return validator.problem or self.signature_problem(request, uri)

    @staticmethod
    def needs_hmac_refusal(parameters: dict[str, str]) -> bool:
        return parameters["oauth_signature_method"] != SIGNATURE_RSA_SHA1

    @staticmethod
    def headers(request: Request) -> dict[str, str]:
        return {name.title(): value for name, value in request.headers.items()}

    # -- endpoints ------------------------------------------------------------------------------
    def request_token(self, request: Request, base_url: str) -> Response:
        uri = self.signed_uri(request, base_url)
        parameters = self.oauth_parameters(request)
        if not parameters.get("oauth_consumer_key"):
            raise OAuthProblem("parameter_absent", oauth_parameters_absent="oauth_consumer_key")
        self.check_consumer(parameters)
        self.check_message(parameters)
        if self.needs_hmac_refusal(parameters):
            raise self.signature_problem(request, uri)
        if not parameters.get("oauth_callback"):
            # RFC 5849 section 2.1: REQUIRED, "oob" when there is no callback.
            raise OAuthProblem("parameter_absent", oauth_parameters_absent="oauth_callback")
        validator = JiraRequestValidator(self.state)
        return self.token_answer(validator, request, uri,
                                 RequestTokenEndpoint(validator).create_request_token_response)

    def token_answer(self, validator, request: Request, uri: str, create) -> Response:
        """Run one of oauthlib's token endpoints; a refusal becomes Jira's oauth_problem answer."""
        try:
            _, body, status = create(uri, request.method, self.form_body(request),
                                     self.headers(request))
        except (ValueError, TypeError):
            status, body = 401, None
        if status != 200 or body is None:
            raise self.finish(validator, request, uri)
        return Response(
            status=200, body=body.encode(), headers={"Content-Type": "text/plain;charset=UTF-8"}
        )

    def pending_request_token(self, token: str | None) -> RequestToken:
        """The request token shown on the consent page (atlassian-oauth AuthorizeServlet)."""
        with self.state.lock:
            found = self.state.request_tokens.get(token or "")
            if found is None:
                raise OAuthProblem("token_rejected")
            if found.authorization != "none":
                raise OAuthProblem("token_used")
            if found.expired(time.time()):
                raise OAuthProblem("token_expired")
            return found

    def approve(self, token: str, user: str, base_url: str) -> tuple[str | None, str]:
        """Authorise the request token for `user`; (callback location or None for oob, verifier)."""
        self.pending_request_token(token)
        validator = JiraRequestValidator(self.state, approving_user=user)
        endpoint = AuthorizationEndpoint(validator)
        uri = f"{base_url}/plugins/servlet/oauth/authorize?oauth_token={percent_encode(token)}"
        response_headers, body, status = endpoint.create_authorization_response(uri)
        if status == 302:
            location = response_headers["Location"]
            verifier = dict(parse_qsl(location.partition("?")[2]))["oauth_verifier"]
            return location, verifier
        return None, dict(parse_qsl(body or ""))["oauth_verifier"]

    def deny(self, token: str, user: str) -> str | None:
        """Deny the request token; Jira sends the user back with `oauth_verifier=denied`."""
        found = self.pending_request_token(token)
        with self.state.lock:
            found.authorization = "denied"
            found.user = user
        if found.callback == "oob":
            return None
        separator = "&" if "?" in found.callback else "?"
        query = urlencode({"oauth_token": token, "oauth_verifier": "denied"})
        return f"{found.callback}{separator}{query}"

    def access_token(self, request: Request, base_url: str) -> Response:
        uri = self.signed_uri(request, base_url)
        parameters = self.oauth_parameters(request)
        token = parameters.get("oauth_token")
        if not token:
            raise OAuthProblem("parameter_absent", oauth_parameters_absent="oauth_token")
        with self.state.lock:
            found = self.state.request_tokens.get(token)
            if found is None:
                raise OAuthProblem("token_rejected")
            if found.expired(time.time()):
                raise OAuthProblem("token_expired")
            if found.authorization == "none":
                raise OAuthProblem("permission_unknown")
            if found.authorization == "denied":
                raise OAuthProblem("permission_denied")
            if found.consumer_key != parameters.get("oauth_consumer_key"):
                raise OAuthProblem("token_rejected")
            if not parameters.get("oauth_verifier"):
                raise OAuthProblem("parameter_absent", oauth_parameters_absent="oauth_verifier")
            if found.verifier != parameters["oauth_verifier"]:
                raise OAuthProblem("token_rejected")
        self.check_message(parameters)
        self.check_consumer(parameters)
        if self.needs_hmac_refusal(parameters):
            raise self.signature_problem(request, uri)
        validator = JiraRequestValidator(self.state)
        return self.token_answer(validator, request, uri,
                                 JiraAccessTokenEndpoint(validator).create_access_token_response)

    def authenticate(self, request: Request, base_url: str) -> str | None:
        """The username behind an OAuth-signed request; None when the request is anonymous."""
        if not self.is_oauth_request(request):
            return None
        uri = self.signed_uri(request, base_url)
        parameters = self.oauth_parameters(request)
        token = parameters.get("oauth_token")
        if not token:
            raise OAuthProblem("parameter_absent", oauth_parameters_absent="oauth_token")
        with self.state.lock:
            found = self.state.access_tokens.get(token)
            if found is None or found.consumer_key != parameters.get("oauth_consumer_key"):
                raise OAuthProblem("token_rejected")
            if found.expired(time.time()):
                raise OAuthProblem("token_expired")
            user = found.user
        self.check_message(parameters)
        self.check_consumer(parameters)
        if self.needs_hmac_refusal(parameters):
            raise self.signature_problem(request, uri)
        validator = JiraRequestValidator(self.state)
        endpoint = ResourceEndpoint(validator)
        try:
            valid, _ = endpoint.validate_protected_resource_request(
                uri, request.method, self.form_body(request), self.headers(request)
            )
        except (ValueError, TypeError):
            valid = False
        if not valid:
            raise self.finish(validator, request, uri)
        return user


def parse_authorization(header: str) -> list[tuple[str, Any]]:
    """The parameters of an `Authorization: OAuth ...` header (for the masked request log)."""
    try:
        return utils.parse_authorization_header(header)
    except (ValueError, IndexError):
        return []
