"""Typed errors of provider calls: what a status means for the caller, never the request.

`ApiError.from_response` maps a provider answer to the class the caller acts on (Sentry's
integrations platform does the same): 401 -> refresh or reconnect, 429 -> retry after the
provider's Retry-After, 403/404/409/422 -> tell the user, 5xx and timeouts -> retry with backoff.
Messages carry the status and the provider's own message, never headers or bodies we sent.
"""

from __future__ import annotations

from typing import Any

import requests

PROVIDER_UNREACHABLE = "{provider} could not be reached ({reason}). Try again in a moment."
PROVIDER_TIMEOUT = "{provider} did not answer in time. Try again in a moment."
PROVIDER_ANSWERED = "{provider} answered {status}: {message}"


class ApiError(Exception):
    """A provider answered with an error (or could not be reached)."""

    status: int | None = None
    retryable = False

    def __init__(self, message: str, *, status: int | None = None, provider: str = "",
                 retry_after: float | None = None, payload: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status if status is not None else self.status
        self.provider = provider
        self.retry_after = retry_after
        self.payload = payload  # the provider's error body (never our request)

    @classmethod
    def from_response(cls, response: requests.Response, *, provider: str,
                      message: str = "") -> ApiError:
        status = response.status_code
        error_class = _STATUS_CLASSES.get(status) or (
            ApiUnavailable if status >= 500 else ApiError
        )
        retry_after = _retry_after(response.headers.get("Retry-After"))
        text = message or response.reason or "error"
        return error_class(
            PROVIDER_ANSWERED.format(provider=provider, status=status, message=text),
            status=status, provider=provider, retry_after=retry_after,
        )


class ApiUnauthorized(ApiError):
    status = 401


class ApiForbidden(ApiError):
    status = 403


class ApiNotFound(ApiError):
    status = 404


class ApiConflict(ApiError):
    status = 409


class ApiInvalid(ApiError):
    status = 422


class ApiRateLimited(ApiError):
    status = 429
    retryable = True


class ApiUnavailable(ApiError):
    """5xx, a refused connection or a timeout: the provider may answer later."""

    status = 503
    retryable = True


class ApiTimeout(ApiUnavailable):
    status = 504


class OAuthError(ApiError):
    """The provider's OAuth endpoint refused: `error` is RFC 6749's code (or Jira's
    oauth_problem), e.g. invalid_grant, which means the user must reconnect."""

    # True when the message already says what happened and what to do (Jira's oauth_problem
    # with its remedy): the connect flow shows it as it is rather than a generic sentence.
    explained = False

    def __init__(self, message: str, *, error: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.error = error

    @property
    def needs_reconnect(self) -> bool:
        return self.error in {"invalid_grant", "token_rejected", "token_expired",
                              "permission_denied", "token_revoked"}


_STATUS_CLASSES: dict[int, type[ApiError]] = {
    400: ApiInvalid,
    401: ApiUnauthorized,
    403: ApiForbidden,
    404: ApiNotFound,
    409: ApiConflict,
    422: ApiInvalid,
    429: ApiRateLimited,
}


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class EgressBlocked(ApiError):
    """The egress guard refused the destination: a configuration problem, never retried."""

    status = None


def error_from_exception(error: requests.RequestException, *, provider: str) -> ApiError:
    """A transport failure as a typed error: retryable, except an egress refusal."""
    from integrations.egress import EgressRefused

    if isinstance(error, EgressRefused):
        return EgressBlocked(str(error), provider=provider)
    if isinstance(error, requests.Timeout):
        return ApiTimeout(PROVIDER_TIMEOUT.format(provider=provider), provider=provider)
    return ApiUnavailable(
        PROVIDER_UNREACHABLE.format(provider=provider, reason=type(error).__name__),
        provider=provider,
    )


class WebhookRefused(Exception):
    """A webhook delivery the provider package would not accept (bad signature, unknown id, a
    handshake the subscription does not wait for, a body that is not the provider's).

    `code` is stable for the error envelope, `status` the HTTP status to answer with; the
    message never repeats the delivery's headers or body.
    """

    def __init__(self, message: str, *, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
