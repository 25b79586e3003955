"""The plain values that cross the provider boundary, in both directions.

Providers take these (`Credentials`, `NewTicket`, `TicketChanges`) and return these (`Ticket`,
`LinkRef`, `Page`, `TokenSet`, `AuthorizationStart`, webhook answers); none holds an ORM object,
and none shows a secret in its repr.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

# --- values crossing the boundary ------------------------------------------------------------


@dataclass(frozen=True)
class Ticket:
    """The unified ticket (PRODUCT.md): what a card stores, plus live-only details."""

    provider: str
    external_id: str
    url: str
    title: str
    description: str = ""
    assignee_name: str = ""
    assignee_email: str = ""
    status: str = ""
    priority: str = ""
    # Live only, never stored: tags/labels, due date, projects, attachments, modified time...
    details: dict[str, Any] = field(default_factory=dict)

    STORED_FIELDS = ("title", "description", "assignee_name", "assignee_email", "status",
                     "priority", "url", "external_id")

    def stored(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.STORED_FIELDS}


@dataclass(frozen=True)
class TicketChanges:
    """What a user may change on a card; None means "leave as is"."""

    title: str | None = None
    description: str | None = None
    completed: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {name: value for name, value in self.__dict__.items() if value is not None}


@dataclass(frozen=True)
class NewTicket:
    container_id: str  # Asana project gid / Jira project key
    title: str
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. Jira issue type, fields


@dataclass(frozen=True)
class LinkRef:
    """A pasted link, understood: which provider and which ticket."""

    provider: str
    external_id: str
    url: str
    container_id: str = ""  # project gid / project key when the link says it
    # The tool instance the link points at, for providers whose teams each have their own
    # (Jira Server: the normalised base URL); "" for one global site (Asana). Only a team whose
    # connection has this `site` can fetch the ticket.
    site: str = ""


@dataclass(frozen=True)
class Page:
    """One page of a listing; `next_cursor` is opaque to callers."""

    items: list[Any]
    next_cursor: str | None = None


@dataclass(frozen=True)
class TokenSet:
    """What an OAuth exchange or refresh returned. `refresh_token` None means "keep yours"."""

    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    scopes: str = ""
    token_secret: str | None = None  # OAuth 1.0a
    account_id: str = ""
    account_name: str = ""
    account_email: str = ""

    def __repr__(self) -> str:  # never a secret in a repr, a log line or an error report
        return f"TokenSet(account_id={self.account_id!r}, expires_at={self.expires_at!r})"


@runtime_checkable
class Connection(Protocol):
    """Per-team provider state a call needs, as a plain value (Jira: the team's server, its
    consumer key and private key). `Provider.connection_for(team)` builds it; providers whose
    calls need nothing per team (Asana) have none."""

    @property
    def site(self) -> str:
        """The tool instance this connection reaches (compared with `LinkRef.site`)."""
        ...

    @property
    def egress_hosts(self) -> frozenset[str]:
        """The hosts calls over this connection may reach, besides the manifest's own."""
        ...


@dataclass(frozen=True)
class Credentials:
    """What a provider call needs from a connected account, and the team's connection."""

    access_token: str
    token_secret: str | None = None
    connection: Connection | None = None

    def __repr__(self) -> str:
        return "Credentials(...)"


@dataclass(frozen=True)
class AuthorizationStart:
    """Where to send the browser, and what the callback needs back (kept in the session)."""

    url: str
    state: str
    verifier: str = ""  # OAuth 2.0 PKCE code_verifier / OAuth 1.0a request token secret
    request_token: str = ""  # OAuth 1.0a

    def __repr__(self) -> str:
        return "AuthorizationStart(...)"


# --- webhooks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookSubscriptionInfo:
    """What a provider may know of the subscription a delivery names (never an ORM row).

    `accepts_handshake` is decided by `cards`: the row is pending, has no secret yet and is
    inside its handshake window. `connection` is the team's connection for providers that
    verify deliveries against per-team state (Jira's per-connection webhook secret).
    """

    id: str
    provider: str
    container_id: str = ""
    status: str = ""
    secret: str | None = field(default=None, repr=False)
    accepts_handshake: bool = False
    connection: Connection | None = field(default=None, repr=False)


@dataclass(frozen=True)
class WebhookHandshake:
    """A delivery that sets the subscription up: store `secret`, answer with `headers`."""

    secret: str = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class WebhookChanges:
    """A verified delivery: the tickets to refetch (`changed`, read again with the subscriber's
    account), the tickets the provider deleted (`removed`), and tickets the delivery carried
    whole (`tickets`: Jira sends the issue itself, so nothing needs fetching)."""

    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    tickets: tuple[Ticket, ...] = ()


WebhookAnswer = WebhookHandshake | WebhookChanges
