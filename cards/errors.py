"""Domain errors of boards and cards, with their messages as constants (tests assert on them).

Provider failures become `ProviderRefused` subclasses through `provider_error()`, so the API
answers with a status that says what the tool did (403, 404, 409, 422, 429, 502, 504), in the
error envelope, with whatever the caller needs to retry (`detail.submitted`, `retry_after`).
"""

from __future__ import annotations

from typing import Any

from rest_framework import status

from config.errors import ApplicationError, Conflict, NotAllowed, NotFound
from integrations import errors as api_errors

NO_TEAM = "You are not a member of any team."
TEAM_NOT_FOUND = "There is no team {team} among yours."
BOARD_NOT_FOUND = "There is no board {board} in your teams."
CARD_NOT_FOUND = "There is no card {card} in your teams."
UNKNOWN_LINK = (
    "This link is not a task link Conduit knows: paste the link of an Asana task or a Jira issue."
)
MALFORMED_LINK = "This is not a link: paste the full address of a task, starting with https://."
NEEDS_CONNECTION = "Connect your {integration} account first."
NOT_CONNECTED = "You have no {integration} connection in this team."
NO_ACCESS = "You have no access to this task in {integration}; the card shows its stored data."
NOTHING_TO_IMPORT = "Give the ids of the tasks to import."
TOO_MANY_TO_IMPORT = "Import at most {limit} tasks at once."
CONTAINER_NEEDED = (
    "Give the project (container) to import more than {limit} tasks at once: they are read from "
    "its task list."
)
NOTHING_TO_CHANGE = "Give at least one of title, description, completed."
CARD_CHANGED = (
    "The card changed since you read it (If-Match does not match its ETag): error.detail.current "
    "holds its values now and error.detail.submitted yours; apply them again to the current card."
)
NOT_SUPPORTED = "{integration} does not support {feature}."
LINKED_TICKET_SAME_TOOL = (
    "A linked {integration} ticket is created from a card of another tool, not of {integration}."
)
LINK_TARGET_NOT_SET_UP = (
    "{integration} is not set up for {team}: a team admin must set it up in the console."
)
ATTACHMENT_LINK_SKIPPED = (
    "Not copied: a link to {host}, not a file hosted by {integration} (it may need its own "
    "authorisation)."
)
ATTACHMENT_COPY_FAILED = "Not copied: {message}"
INSTALL_REQUESTED = (
    "{integration} is not installed for {team}: your request to install it was sent to the "
    "team's admins."
)

PROVIDER_FORBIDDEN = "{integration} refused the change: you have no permission for this task."
PROVIDER_NOT_FOUND = "{integration} no longer has this task (deleted or moved)."
PROVIDER_CONFLICT = "{integration} refused the change because of a conflict: {message}"
PROVIDER_INVALID = "{integration} refused the values: {message}"
PROVIDER_RATE_LIMITED = "{integration} is rate limiting requests; try again in a moment."
PROVIDER_TIMEOUT = "{integration} did not answer in time; try again in a moment."
PROVIDER_UNAVAILABLE = "{integration} is unavailable right now; try again in a moment."
PROVIDER_BLOCKED = "{integration} cannot be reached from this server (egress refused)."
PROVIDER_FAILED = "{integration} answered with an error: {message}"


class NoTeam(NotAllowed):
    code = "no_team"


class TeamNotFound(NotFound):
    code = "team_not_found"


class BoardNotFound(NotFound):
    code = "board_not_found"


class CardNotFound(NotFound):
    code = "card_not_found"


class UnknownLink(ApplicationError):
    code = "unknown_link"


class MalformedLink(ApplicationError):
    code = "malformed_link"


class NeedsConnection(Conflict):
    """The user has no usable account for the integration: detail.connect_url says where to go."""

    code = "needs_connection"


class NotConnected(NotFound):
    code = "not_connected"


class NoAccess(NotAllowed):
    code = "no_access"


class InvalidImport(ApplicationError):
    code = "invalid_import"


class NotSupported(ApplicationError):
    code = "not_supported"


class LinkTargetNotSetUp(Conflict):
    """The target tool needs a per-team setup (Jira's server) the team has not made."""

    code = "integration_not_set_up"


class NothingToChange(ApplicationError):
    code = "nothing_to_change"


class CardChanged(ApplicationError):
    """If-Match named another version of the card than the stored one: nothing was written."""

    code = "card_changed"
    http_status = status.HTTP_412_PRECONDITION_FAILED


class NotImplementedYet(ApplicationError):
    code = "not_implemented"
    http_status = status.HTTP_501_NOT_IMPLEMENTED


class InstallRequested(ApplicationError):
    """Not a failure: a member used an integration the team lacks, and the request is pending.

    The API answers 202 with the request (not the error envelope); `install_request` is the row.
    """

    code = "install_requested"
    http_status = status.HTTP_202_ACCEPTED

    def __init__(self, message: str, *, install_request: Any) -> None:
        super().__init__(message, detail={"install_request": install_request.pk})
        self.install_request = install_request


class ProviderRefused(ApplicationError):
    """The tool refused or failed a call; `detail.provider_status` is what it answered."""

    code = "provider_error"
    http_status = status.HTTP_502_BAD_GATEWAY

    def __init__(self, message: str, *, detail: dict[str, Any] | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message, detail=detail)
        self.retry_after = retry_after


class ProviderForbidden(ProviderRefused):
    code = "provider_forbidden"
    http_status = status.HTTP_403_FORBIDDEN


class ProviderNotFound(ProviderRefused):
    code = "provider_not_found"
    http_status = status.HTTP_404_NOT_FOUND


class ProviderConflict(ProviderRefused):
    code = "provider_conflict"
    http_status = status.HTTP_409_CONFLICT


class ProviderInvalid(ProviderRefused):
    code = "provider_rejected"
    http_status = status.HTTP_422_UNPROCESSABLE_ENTITY


class ProviderRateLimited(ProviderRefused):
    code = "provider_rate_limited"
    http_status = status.HTTP_429_TOO_MANY_REQUESTS


class ProviderTimeout(ProviderRefused):
    code = "provider_timeout"
    http_status = status.HTTP_504_GATEWAY_TIMEOUT


class ProviderUnavailable(ProviderRefused):
    code = "provider_unavailable"
    http_status = status.HTTP_502_BAD_GATEWAY


class ProviderBlocked(ProviderRefused):
    code = "provider_blocked"
    http_status = status.HTTP_502_BAD_GATEWAY


# Most specific first: ApiTimeout is an ApiUnavailable.
_MAPPING: list[tuple[type[api_errors.ApiError], type[ProviderRefused], str]] = [
    (api_errors.ApiForbidden, ProviderForbidden, PROVIDER_FORBIDDEN),
    (api_errors.ApiNotFound, ProviderNotFound, PROVIDER_NOT_FOUND),
    (api_errors.ApiConflict, ProviderConflict, PROVIDER_CONFLICT),
    (api_errors.ApiInvalid, ProviderInvalid, PROVIDER_INVALID),
    (api_errors.ApiRateLimited, ProviderRateLimited, PROVIDER_RATE_LIMITED),
    (api_errors.ApiTimeout, ProviderTimeout, PROVIDER_TIMEOUT),
    (api_errors.ApiUnavailable, ProviderUnavailable, PROVIDER_UNAVAILABLE),
    (api_errors.EgressBlocked, ProviderBlocked, PROVIDER_BLOCKED),
]


def provider_error(error: api_errors.ApiError, *, integration: str,
                   detail: dict[str, Any] | None = None) -> ProviderRefused:
    """The domain error for a provider failure; `integration` is the tool's display name."""
    error_class, template = next(
        ((found, text) for api_class, found, text in _MAPPING if isinstance(error, api_class)),
        (ProviderRefused, PROVIDER_FAILED),
    )
    message = template.format(integration=integration, message=_provider_message(error))
    full_detail = {"provider_status": error.status, **(detail or {})}
    if error.retry_after is not None:
        full_detail["retry_after"] = error.retry_after
    return error_class(message, detail=full_detail, retry_after=error.retry_after)


def _provider_message(error: api_errors.ApiError) -> str:
    """The provider's own words (ApiError messages carry status and message, never a request)."""
    return str(error.message)[:500]
