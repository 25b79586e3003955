"""Domain errors of the account lifecycle, with their messages as constants tests assert on."""

from rest_framework import status

from config.errors import ApplicationError, Conflict, NotFound

ACCOUNT_NEEDS_RECONNECT = (
    "Your {integration} connection has expired or was revoked. Reconnect {integration} to "
    "continue."
)
ACCOUNT_NOT_CONNECTED = "You have not connected {integration} yet."
FLOW_NOT_SIGNED_IN = (
    "Your Conduit session ended while you were at {integration}. Sign in and connect again."
)
FLOW_STATE_MISSING = (
    "This connection attempt could not be matched to your session (it may have been started "
    "in another browser or has already finished). Nothing was saved: start again from "
    "Integrations."
)
FLOW_STATE_REUSED = "This sign-in answer was already used. Nothing was saved: connect again."
FLOW_STATE_EXPIRED = (
    "The connection attempt took more than 10 minutes and expired. Nothing was saved: connect "
    "again."
)
FLOW_STATE_MISMATCH = (
    "The answer from {integration} does not belong to this connection attempt. Nothing was "
    "saved: connect again."
)
FLOW_DENIED = "You declined access in {integration}, so nothing was connected."
FLOW_PROVIDER_ERROR = (
    "{integration} did not complete the connection ({reason}). Nothing was saved: try again "
    "in a moment."
)
FLOW_PROVIDER_UNAVAILABLE = (
    "{integration} could not be reached to complete the connection. Nothing was saved: try "
    "again in a moment."
)
TOKEN_STORE_BUSY = "Conduit is busy renewing this connection. Try again in a moment."
INTEGRATION_NOT_SET_UP = "{integration} is not set up for this team"
NO_TEAM = "You are not a member of any team yet: ask a team admin to add you."
INSTALL_REQUESTED = (
    "{integration} is not installed for {team}. Your request to install it was sent to the "
    "team's admins; you can connect once they approve it."
)
INSTALL_REQUEST_PENDING = (
    "{integration} is not installed for {team}. Your install request is waiting for a team "
    "admin."
)
INSTALLED_BY_ADMIN = "{integration} is now installed for {team}."
NOT_INSTALLED = "{integration} is not installed for {team}."


class AccountNeedsReconnect(Conflict):
    """The account cannot be used until its owner connects again; detail has connect_url."""

    code = "needs_reconnect"


class AccountNotConnected(NotFound):
    code = "not_connected"


class ConnectFlowRefused(ApplicationError):
    """The callback could not be accepted; `reason` is the audit event's reason."""

    code = "connect_refused"

    def __init__(self, message: str, *, reason: str, http_status: int = 400) -> None:
        super().__init__(message, detail={"reason": reason})
        self.reason = reason
        self.http_status = http_status


class IntegrationNotSetUp(Conflict):
    code = "integration_not_set_up"


class TokenStoreBusy(ApplicationError):
    """The account's row could not be locked in time (SQLite's busy timeout): retry later."""

    code = "busy"
    http_status = status.HTTP_503_SERVICE_UNAVAILABLE
    retryable = True
