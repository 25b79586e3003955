"""What Conduit tells a person before it sends them to a provider's consent page.

One disclosure per integration: what Conduit reads, what it stores (the card's fields, as
PRODUCT.md and the seed list them: title, description, assignee, status, priority), why each
scope is asked (the provider manifest's ConsentSpec), and how long credentials are kept. A scope
without a stated reason is a bug (tests/tokens/test_pre_consent.py checks every scope Asana is
asked for has one).
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.providers import get_provider

STORED_FIELDS = (
    "Title",
    "Description",
    "Assignee (name and e-mail address)",
    "Status",
    "Priority",
)
NOT_STORED = (
    "Other custom fields, tags, due dates, attachments and comments are never stored: they are "
    "read live, with your own account, when you open a card."
)
CREDENTIALS = (
    "Your {name} tokens, encrypted (AES-256-GCM), deleted after {days} days without use or "
    "when you disconnect."
)

READS_WITHOUT_SPEC = "The tickets you paste, import or open, with your {name} account"


@dataclass(frozen=True)
class Disclosure:
    integration: str
    name: str
    reads: tuple[str, ...]
    stored: tuple[str, ...]
    not_stored: str
    credentials: str
    scopes: tuple[tuple[str, str], ...]  # (scope, why it is asked)


def disclosure_for(*, integration: str, name: str, retention_days: int) -> Disclosure:
    """The pre-consent page's content for one integration: what it reads and why each scope
    is asked come from the provider's manifest (`ConsentSpec`); what is stored is Conduit's."""
    consent = get_provider(integration).manifest.consent
    return Disclosure(
        integration=integration, name=name,
        reads=consent.reads if consent else (READS_WITHOUT_SPEC.format(name=name),),
        stored=STORED_FIELDS, not_stored=NOT_STORED,
        credentials=CREDENTIALS.format(name=name, days=retention_days),
        scopes=consent.scopes if consent else (),
    )
