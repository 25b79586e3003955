"""The one way code outside a provider package talks to it: values, capabilities, registry.

`tokens`, `cards` and `approvals` call `get_provider(key)`, ask `supports(provider, Capability)`
and call the capability's methods; they never import a provider package. Providers take plain
values (`Credentials`) and return plain values (`TokenSet`, `Ticket`, `LinkRef`, `Page`), and
raise `integrations.errors` types.
"""

from integrations.providers.capabilities import (
    ALL_CAPABILITIES,
    Attachments,
    AttachmentUpload,
    Browsing,
    LinkParsing,
    LinkTarget,
    Provider,
    Revocation,
    TeamRef,
    TicketBatchRead,
    TicketCreate,
    TicketRead,
    TicketSearch,
    TicketTitleRead,
    TicketUpdate,
    WebhookReceiver,
    WebhookSubscriptions,
)
from integrations.providers.manifest import (
    AuditActionSpec,
    AuthKind,
    ConsentSpec,
    ProviderManifest,
    SandboxSpec,
)
from integrations.providers.registry import (
    UnknownProvider,
    all_providers,
    get_provider,
    is_provider,
    parse_any_link,
    provider_keys,
    provider_name,
    provider_packages,
    supports,
)
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
    WebhookChanges,
    WebhookHandshake,
    WebhookSubscriptionInfo,
)

__all__ = [
    "ALL_CAPABILITIES", "AttachmentUpload", "Attachments", "AuditActionSpec", "AuthKind",
    "AuthorizationStart", "Browsing", "Connection", "ConsentSpec", "Credentials", "LinkParsing",
    "LinkRef", "LinkTarget", "NewTicket", "Page", "Provider", "ProviderManifest", "Revocation",
    "SandboxSpec", "TeamRef", "Ticket", "TicketBatchRead", "TicketChanges", "TicketCreate", "TicketRead",
    "TicketSearch", "TicketTitleRead", "TicketUpdate", "TokenSet", "UnknownProvider", "WebhookAnswer",
    "WebhookChanges", "WebhookHandshake", "WebhookReceiver", "WebhookSubscriptionInfo",
    "WebhookSubscriptions", "all_providers", "get_provider", "is_provider", "parse_any_link",
    "provider_keys", "provider_name", "provider_packages", "supports",
]
