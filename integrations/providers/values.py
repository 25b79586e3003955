"""The provider protocol and registry: the one way code outside a provider package talks to it.

`tokens`, `cards` and `approvals` call `get_provider(key)` and the methods below; they never
import a provider's client. Adding Jira Cloud or Linear is one new package that registers a
`Provider`. Providers never touch the ORM: they take plain values (`Credentials`) and return
plain values (`TokenSet`, `Ticket`, `LinkRef`, `Page`), and raise `integrations.errors` types.
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


@dataclass(frozen=True)
class Credentials:
    """What a provider call needs from a connected account (and, for Jira, its server)."""

    access_token: str
    token_secret: str | None = None
    server: Any = None  # Jira: a ServerContext (base URL, consumer key, private key)

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


# --- the protocol ----------------------------------------------------------------------------


@runtime_checkable
class Provider(Protocol):
    key: str  # "asana", "jira_server"
    name: str  # "Asana", "Jira Server"

    def parse_link(self, url: str) -> LinkRef | None:
        """The ticket a pasted URL points at, or None when it is not this provider's link."""

    def authorization_start(self, *, redirect_uri: str, server: Any = None) -> AuthorizationStart:
        ...

    def authorization_finish(self, *, params: dict[str, str], start: AuthorizationStart,
                             redirect_uri: str, server: Any = None) -> TokenSet:
        """Exchange the callback's code (or verifier) for tokens; raises OAuthError."""

    def refresh(self, *, refresh_token: str) -> TokenSet:
        """A new access token (OAuth 2.0 only); raises OAuthError (invalid_grant) or ApiError."""

    def revoke(self, *, token: str, server: Any = None) -> None:
        """Revoke at the provider where it has an endpoint; a no-op otherwise."""

    def fetch_ticket(self, credentials: Credentials, external_id: str) -> Ticket: ...

    def list_tickets(self, credentials: Credentials, *, container_id: str,
                     cursor: str | None = None, query: str = "", limit: int = 100) -> Page: ...

    def create_ticket(self, credentials: Credentials, new: NewTicket) -> Ticket: ...

    def update_ticket(self, credentials: Credentials, external_id: str,
                      changes: TicketChanges) -> Ticket: ...

    def list_workspaces(self, credentials: Credentials) -> list[dict[str, str]]:
        """The workspaces the user can browse for import: [{"id", "name"}]."""

    def list_containers(self, credentials: Credentials, *,
                        workspace_id: str) -> list[dict[str, str]]:
        """The projects of a workspace the user can see: [{"id", "name"}]."""

    def search_tickets(self, credentials: Credentials, *, workspace_id: str, query: str) -> Page:
        """Tickets of a workspace matching `query` (one page of Tickets)."""

    def list_attachments(self, credentials: Credentials, external_id: str) -> list[dict[str, Any]]:
        """A ticket's attachments: [{"id", "name", "host", "download_url" or None, "view_url"}]."""

    def download_attachment(self, credentials: Credentials,
                            attachment: dict[str, Any]) -> tuple[str, bytes, str]:
        """(filename, content, content type) of an attachment the provider holds."""

    def webhook_subscribe(self, credentials: Credentials, *, container_id: str,
                          target_url: str) -> dict[str, Any]:
        """Register a webhook on a container: {"id", "secret" (None when sent in a handshake)}."""

    def webhook_unsubscribe(self, credentials: Credentials, webhook_id: str) -> None:
        """Remove a webhook; one already gone is not an error."""


_registry: dict[str, Provider] = {}


def register_provider(provider: Provider) -> Provider:
    _registry[provider.key] = provider
    return provider


def get_provider(key: str) -> Provider:
    if not _registry:
        _load_builtin_providers()
    try:
        return _registry[key]
    except KeyError:
        raise LookupError(f"No provider registered for {key!r}") from None


def all_providers() -> list[Provider]:
    if not _registry:
        _load_builtin_providers()
    return list(_registry.values())


def parse_any_link(url: str) -> LinkRef | None:
    for provider in all_providers():
        reference = provider.parse_link(url)
        if reference is not None:
            return reference
    return None


def _load_builtin_providers() -> None:
    from importlib import import_module

    for package in ("integrations.asana.provider", "integrations.jira_server.provider"):
        try:
            import_module(package)
        except ModuleNotFoundError as error:
            # A provider package not in this tree (yet) is skipped; a broken import is not.
            if error.name is None or not f"{package}.".startswith(f"{error.name}."):
                raise
