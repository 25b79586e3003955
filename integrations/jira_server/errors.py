"""Domain errors of the Jira Server connection, with their messages as constants (tests assert
on them). Provider failures stay `integrations.errors` types; these are the console's and the
API's refusals."""

from __future__ import annotations

from config.errors import ApplicationError, Conflict, NotAllowed, NotFound

SECOND_SERVER_REFUSED = (
    "{team} already has a Jira Server connection ({current}). Conduit connects one Jira Server "
    "per team: remove that connection first to connect {requested} instead."
)
NOT_TEAM_ADMIN = "Only a team admin of {team} can manage its Jira Server connection."
SANDBOX_ONLY = (
    "Registration through the sandbox is only for a loopback Jira simulator with "
    "EGRESS_ALLOW_LOOPBACK on; for a real Jira, enter the values in Jira's Application Links "
    "screen."
)
SANDBOX_REFUSED = "The Jira sandbox refused the Application Link: {message}"
APPLINK_NOT_VERIFIED = "The Application Link does not work yet: {message}"
WEBHOOK_NEEDS_ACCOUNT = (
    "Connect your own Jira account first (Integrations > Jira Server): the webhook is "
    "registered with it, and it must be a Jira administrator's."
)
WEBHOOK_NEEDS_JIRA_ADMIN = (
    "Jira refused to register the webhook ({message}): only a Jira administrator can. Ask a "
    "team admin whose connected Jira account is a Jira administrator to press this button."
)
WEBHOOK_FAILED = "Jira did not register the webhook: {message}"
WEBHOOK_NO_PUBLIC_URL = (
    "Conduit's public address is unknown: set CONDUIT_PUBLIC_URL so Jira can reach the webhook."
)


class JiraServerError(ApplicationError):
    code = "jira_server_error"


class BaseUrlRefused(JiraServerError):
    code = "jira_base_url_invalid"


class SecondServerRefused(Conflict):
    code = "jira_server_exists"


class NotTeamAdmin(NotAllowed):
    code = "not_team_admin"


class SandboxOnly(NotAllowed):
    code = "jira_sandbox_only"


class ApplinkNotVerified(JiraServerError):
    code = "jira_applink_not_verified"


class WebhookNotRegistered(JiraServerError):
    code = "jira_webhook_not_registered"


class WebhookUnknown(NotFound):
    code = "webhook_unknown"

CURSOR_INVALID = "This cursor is not one Conduit gave out: start again without a cursor."


class CursorInvalid(ApplicationError):
    """A picker `cursor` that is not a page offset (Jira's `startAt`, a whole number)."""

    code = "invalid_cursor"
