"""Asana's error body, and the messages the simulator answers with (tests assert on them).

https://developers.asana.com/docs/errors: every failure is an HTTP status with
`{"errors": [{"message": ..., "help": ...}]}`; server errors add a `phrase`.
"""

from __future__ import annotations

from integrations.sandbox.base import Response

ERRORS_HELP = (
    "For more information on API status codes and how to handle them, "
    "read the docs on errors: https://developers.asana.com/docs/errors"
)

NOT_AUTHORIZED = "Not Authorized"
TOKEN_EXPIRED = "The bearer token has expired. Use a refresh token to obtain a new access token."
FORBIDDEN = "Forbidden"
MISSING_SCOPE = "The token does not have the required scope: {scope}"
NOT_FOUND = "Not Found"
NO_MATCHING_ROUTE = "No matching route for request"
UNKNOWN_OBJECT = "{name}: Unknown object: {gid}"
NOT_A_RECOGNIZED_ID = "{name}: Not a recognized ID: {value}"
MISSING_INPUT = "{name}: Missing input"
INVALID_VALUE = "{name}: {detail}"
LIMIT_OUT_OF_RANGE = "limit: Must be between 1 and 100, inclusive"
INVALID_OFFSET = "offset: Your pagination token is invalid or has expired"
INVALID_JSON = "Could not parse request data, invalid JSON"
RATE_LIMITED = (
    "You've made too many requests and hit a rate limit. "
    "Please retry after the given amount of time."
)
SERVER_ERROR = "Server Error"
SERVER_ERROR_PHRASE = "6 sandboxed squid simulate softly"
WEBHOOK_HANDSHAKE_FAILED = (
    "The remote server did not respond with the handshake secret (X-Hook-Secret)"
)
WEBHOOK_TARGET_REFUSED = "target: Invalid hostname; the simulator only delivers to loopback"

_DEFAULT_MESSAGES = {
    400: "Bad Request",
    401: NOT_AUTHORIZED,
    402: "Payment Required",
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: "Conflict",
    429: RATE_LIMITED,
    500: SERVER_ERROR,
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class AsanaError(Exception):
    """Raised by handlers; the app turns it into Asana's error body."""

    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message or default_message(status)


def default_message(status: int) -> str:
    return _DEFAULT_MESSAGES.get(status, SERVER_ERROR if status >= 500 else "Bad Request")


def error_response(
    status: int, message: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    error: dict[str, str] = {"message": message or default_message(status), "help": ERRORS_HELP}
    if status >= 500:
        error["phrase"] = SERVER_ERROR_PHRASE
    return Response.json({"errors": [error]}, status=status, headers=headers)
