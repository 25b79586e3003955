"""Small capability protocols a provider declares in its manifest, instead of one wide one.

A caller asks `supports(provider, TicketSearch)` (integrations.providers.registry) before it
calls `search_tickets`; it never probes with `getattr`. The registry checks at load time that a
provider really has the methods of every capability its manifest declares, so a declared
capability is a promise the type checker and the loader both hold.

Every provider has the core `Provider` protocol: its key, name and manifest, its per-team
`connection_for(team)` and its authorization flow (OAuth 2.0 or OAuth 1.0a, the manifest's
`auth_kind`). Everything else is optional.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from integrations.providers.values import (
    AuthorizationStart,
    Connection,
    Credentials,
    LinkRef,
    NewTicket,
    Page,
    Ticket,
    TicketChanges,
    TokenSet,
    WebhookAnswer,
    WebhookSubscriptionInfo,
)

if TYPE_CHECKING:
    from integrations.providers.manifest import ProviderManifest


class TeamRef(Protocol):
    """What a provider may know of a team: its primary key (no app model is imported here)."""

    pk: Any


@runtime_checkable
class Provider(Protocol):
    """The core every provider has: identity, per-team connection, authorization."""

    key: str  # "asana", "jira_server": the integration key stored on rows
    name: str  # "Asana", "Jira Server": shown to people

    @property
    def manifest(self) -> ProviderManifest: ...

    def connection_for(self, team: TeamRef | None) -> Connection | None:
        """The team's per-team state for calls (Jira: its server and keys), or None when the
        provider needs none or the team has not set it up (`manifest.needs_connection` says
        which of the two None means)."""
        ...

    def authorization_start(
        self, *, redirect_uri: str, connection: Connection | None = None
    ) -> AuthorizationStart:
        """Where to send the browser; raises OAuthError or ApiError."""
        ...

    def authorization_finish(
        self, *, params: dict[str, str], start: AuthorizationStart, redirect_uri: str,
        connection: Connection | None = None,
    ) -> TokenSet:
        """Exchange the callback's code (or verifier) for tokens; raises OAuthError."""
        ...

    def refresh(self, *, refresh_token: str) -> TokenSet:
        """A new access token (OAuth 2.0); OAuthError (invalid_grant) or ApiError otherwise."""
        ...


@runtime_checkable
class LinkParsing(Protocol):
    def parse_link(self, url: str) -> LinkRef | None:
        """The ticket a pasted URL points at, or None. Pure: no database, no network."""
        ...


@runtime_checkable
class TicketRead(Protocol):
    def fetch_ticket(self, credentials: Credentials, external_id: str) -> Ticket: ...

    def fetch_ticket_summary(self, credentials: Credentials, external_id: str) -> Ticket:
        """The ticket's stored fields (title, status, ...) in one provider call: no details
        such as attachments, for unfurls, link imports and refreshes."""
        ...

    def list_tickets(self, credentials: Credentials, *, container_id: str,
                     cursor: str | None = None, query: str = "", limit: int = 100) -> Page:
        """One page of a container's tickets (`cursor` is opaque to callers)."""
        ...


@runtime_checkable
class TicketTitleRead(Protocol):
    """Reading a ticket's title alone, for a link preview: a provider that can ask for fewer
    fields than its stored ones makes a smaller call (Asana's opt_fields=name)."""

    def fetch_ticket_title(self, credentials: Credentials, external_id: str) -> Ticket:
        """The ticket with its title (other fields may be empty), in one provider call."""
        ...


@runtime_checkable
class TicketBatchRead(Protocol):
    """Reading many tickets by id in few calls (Jira: `key in (...)`), for the tickets an import's
    listing pages did not show."""

    def fetch_tickets(self, credentials: Credentials, external_ids: list[str]) -> list[Ticket]:
        """The tickets among `external_ids` that exist and the user may see; the others are
        simply absent (no error)."""
        ...


@runtime_checkable
class Browsing(Protocol):
    """The import picker's levels above tickets: workspaces, then containers (projects)."""

    def list_workspaces(self, credentials: Credentials) -> list[dict[str, str]]:
        """[{"id", "name"}] the user can browse."""
        ...

    def list_containers(self, credentials: Credentials, *,
                        workspace_id: str) -> list[dict[str, str]]:
        """[{"id", "name"}] of the workspace's projects the user can see."""
        ...


@runtime_checkable
class TicketSearch(Protocol):
    def search_tickets(self, credentials: Credentials, *, workspace_id: str, query: str) -> Page:
        """One page of Tickets of a workspace matching `query`."""
        ...


@runtime_checkable
class TicketCreate(Protocol):
    def create_ticket(self, credentials: Credentials, new: NewTicket) -> Ticket: ...


@runtime_checkable
class TicketUpdate(Protocol):
    def update_ticket(self, credentials: Credentials, external_id: str,
                      changes: TicketChanges) -> Ticket:
        """Writes only the fields given; raises ApiInvalid for a change the tool refuses."""
        ...


@runtime_checkable
class Attachments(Protocol):
    """Reading a ticket's attachments (the source side of a copy)."""

    def list_attachments(self, credentials: Credentials,
                         external_id: str) -> list[dict[str, Any]]:
        """[{"id", "name", "host", "download_url" or None, "view_url"}]."""
        ...

    def download_attachment(self, credentials: Credentials,
                            attachment: dict[str, Any]) -> tuple[str, bytes, str]:
        """(filename, content, content type) of an attachment the provider holds."""
        ...


@runtime_checkable
class AttachmentUpload(Protocol):
    """Adding a file to a ticket (the target side of a copy)."""

    def add_attachment(self, credentials: Credentials, external_id: str, *, filename: str,
                       content: bytes, content_type: str) -> dict[str, Any]:
        """{"id", "name", "size"} of the attachment created."""
        ...


@runtime_checkable
class WebhookSubscriptions(Protocol):
    """Asking the provider to POST a container's changes to Conduit."""

    def webhook_subscribe(self, credentials: Credentials, *, container_id: str,
                          target_url: str) -> dict[str, Any]:
        """{"id", "secret" (None when it comes in a handshake)}."""
        ...

    def webhook_unsubscribe(self, credentials: Credentials, webhook_id: str) -> None:
        """Remove a webhook; one already gone is not an error."""
        ...


@runtime_checkable
class WebhookReceiver(Protocol):
    """Verifying and parsing a delivery inside the provider package; `cards` applies it."""

    def webhook_receive(self, *, headers: Mapping[str, str], body: bytes,
                        subscription: WebhookSubscriptionInfo,
                        url_token: str = "") -> WebhookAnswer:
        """A `WebhookHandshake` (store its secret, answer with its headers) or the
        `WebhookChanges` of a verified delivery; raises integrations.errors.WebhookRefused.
        Pure: no database (what it needs of the subscription is in `subscription`).

        `url_token` is what follows the subscription id in the delivery's path
        (`/webhooks/<provider>/<subscription id>.<token>`), "" when nothing does: the proof
        for providers that sign nothing and put a secret in the URL they post to (Jira
        Server). Conduit's logs never show it."""
        ...


@runtime_checkable
class Revocation(Protocol):
    def revoke(self, *, token: str, connection: Connection | None = None) -> None:
        """Revoke the token at the provider; raises ApiError to be retried."""
        ...


@runtime_checkable
class LinkTarget(Protocol):
    """Being the target of a ticket linked from another provider's card: a create form, then
    `TicketCreate.create_ticket` with the form's values in `NewTicket.extra`."""

    def create_form(self, credentials: Credentials, *, container_id: str = "") -> dict[str, Any]:
        """{"projects": [{"key", "name", "issue_types": [{"id", "name", "fields": [...]}]}]};
        the fields a user must fill in only when `container_id` names one container."""
        ...


Capability = type
"""A capability is one of the protocol classes above (`supports(provider, TicketRead)`)."""

ALL_CAPABILITIES: tuple[type, ...] = (
    LinkParsing, TicketRead, TicketTitleRead, TicketBatchRead, Browsing, TicketSearch, TicketCreate, TicketUpdate, Attachments,
    AttachmentUpload, WebhookSubscriptions, WebhookReceiver, Revocation, LinkTarget,
)
