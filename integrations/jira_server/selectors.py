"""Reading Jira Server connections; building what provider calls need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from integrations.jira_server import mapping
from integrations.jira_server.conf import jira_server_settings
from integrations.jira_server.context import ServerContext
from integrations.jira_server.keys import public_key_body
from integrations.models import JiraServerConnection
from integrations.providers import TeamRef

CALLBACK_PATH = "/integrations/jira_server/callback"


def connection_get(*, team: TeamRef) -> JiraServerConnection | None:
    return JiraServerConnection.objects.filter(team=team).first()


def server_context(team: TeamRef | None) -> ServerContext | None:
    """The team's server for provider calls, or None when the team has none registered."""
    if team is None:
        return None
    connection = connection_get(team=team)
    if connection is None or not connection.private_key_pem:
        return None
    return context_of(connection)


def context_of(connection: JiraServerConnection) -> ServerContext:
    return ServerContext(
        base_url=connection.base_url,
        consumer_key=connection.consumer_key,
        private_key_pem=connection.private_key_pem or "",
        connection_id=str(connection.pk),
    )


def base_url_registered(base_url: str) -> bool:
    """Whether any team registered this (normalised) base URL: a link to it is a Jira link."""
    return JiraServerConnection.objects.filter(base_url=base_url).exists()


# -- what the console shows -------------------------------------------------------------------
def public_url(request_base: str = "") -> str:
    return (jira_server_settings.CONDUIT_PUBLIC_URL or request_base).rstrip("/")


def callback_url(base: str) -> str:
    try:
        path = reverse("tokens:callback", args=["jira_server"])
    except NoReverseMatch:
        path = CALLBACK_PATH
    return base + path


def webhook_url(connection: JiraServerConnection, base: str) -> str:
    """Where Jira posts: cards' one webhook path, the connection's id as the subscription id
    and its secret after it (webhooks.py)."""
    subscription = f"{connection.pk}.{connection.webhook_secret or ''}"
    try:
        path = reverse("cards-webhooks:delivery", args=[mapping.PROVIDER_KEY, subscription])
    except NoReverseMatch:
        path = f"/webhooks/{mapping.PROVIDER_KEY}/{subscription}"
    return base + path


@dataclass(frozen=True)
class ApplinkValue:
    label: str
    value: str
    hint: str = ""

    @property
    def copyable(self) -> bool:
        """A value typed into a Jira field (not a choice or a checkbox to tick)."""
        return self.label not in ("Application Type", "Create incoming link")


def applink_values(connection: JiraServerConnection, *, base: str) -> list[ApplinkValue]:
    """What to enter in Jira's Application Links screen, in the order Jira asks for it
    (https://developer.atlassian.com/server/jira/platform/oauth/, "Configure Jira")."""
    name = jira_server_settings.JIRA_APPLICATION_NAME
    return [
        ApplinkValue("Application URL", base,
                     "Jira may say no response was received from it: press Continue."),
        ApplinkValue("Application Name", name),
        ApplinkValue("Application Type", "Generic Application"),
        ApplinkValue("Create incoming link", "Yes (checked)",
                     "Leave the outgoing values (shared secret, token URLs) empty or as they are."),
        ApplinkValue("Consumer Key", connection.consumer_key),
        ApplinkValue("Consumer Name", jira_server_settings.JIRA_CONSUMER_NAME),
        ApplinkValue("Public Key", public_key_body(connection.public_key_pem),
                     "The key's base64 body, on one line (the PEM form is below)."),
        ApplinkValue("Consumer Callback URL", callback_url(base)),
    ]


@dataclass(frozen=True)
class ApplinkStep:
    title: str
    instructions: str
    values: list[ApplinkValue]


def applink_steps(connection: JiraServerConnection, *, base: str) -> list[ApplinkStep]:
    """The values of applink_values grouped as Jira 7.13–8.x's screens ask for them: the link
    list, the "Configure Application URL" warning, "Link applications", the incoming link."""
    values = {value.label: value for value in applink_values(connection, base=base)}

    def pick(*labels: str) -> list[ApplinkValue]:
        return [values[label] for label in labels]

    return [
        ApplinkStep("Open Application links",
                    "In Jira, as a Jira administrator: Administration (cog icon) › Applications "
                    "› Application links.", []),
        ApplinkStep("Enter Conduit's address",
                    "Paste the Application URL into the field at the top and select "
                    "Create new link.", pick("Application URL")),
        ApplinkStep("Configure Application URL",
                    "Jira says “No response was received from the URL you entered”: "
                    "that is expected. Select Continue.", []),
        ApplinkStep("Link applications",
                    "Fill in these fields, tick Create incoming link, leave the other fields "
                    "empty and select Continue.",
                    pick("Application Name", "Application Type", "Create incoming link")),
        ApplinkStep("Incoming link",
                    "Fill in these fields and select Continue. Jira lists the link as "
                    "Conduit, Generic application.",
                    pick("Consumer Key", "Consumer Name", "Public Key",
                         "Consumer Callback URL")),
    ]


def sandbox_registration_available(connection: JiraServerConnection) -> bool:
    """The "Register with the sandbox" button: a loopback base URL with EGRESS_ALLOW_LOOPBACK."""
    from integrations.conf import integration_settings
    from integrations.egress.policy import normalize_host
    from integrations.jira_server.checks import is_loopback_host

    host = normalize_host(connection.base_url)
    return bool(integration_settings.EGRESS_ALLOW_LOOPBACK) and is_loopback_host(host)


def check_progress(connection: JiraServerConnection) -> dict[str, Any]:
    """The background check as the console polls it: state (queued, running, idle or
    interrupted), the items finished so far (or the last report) and when it last finished."""
    from integrations.jira_server.services import CHECK_STALE_AFTER

    state = connection.check_state
    requested = connection.check_requested_at
    if state != JiraServerConnection.CheckState.IDLE and (
            requested is None or requested < timezone.now() - CHECK_STALE_AFTER):
        state = "interrupted"
    results = connection.check_results or {}
    return {
        "state": state,
        "running": state in (JiraServerConnection.CheckState.QUEUED,
                             JiraServerConnection.CheckState.RUNNING),
        "items": [{key: item.get(key, "") for key in ("key", "status", "title", "message")}
                  for item in results.get("items") or []],
        "outcome": "" if results.get("running") else results.get("outcome", ""),
        "checked_at": connection.checked_at.isoformat() if connection.checked_at else None,
    }
