"""What the account-lifecycle services share: the provider behind a key, the team's connection
for its calls, labels for audit events and the retry schedule."""

from __future__ import annotations

import random

from approvals import errors as approval_errors
from approvals.catalog import catalog_entry
from approvals.models import Team
from integrations.errors import ApiError
from integrations.providers import Connection, Provider, get_provider
from tokens import errors
from tokens.conf import token_settings
from tokens.models import ConnectedAccount

Status = ConnectedAccount.Status


def name_of(integration: str) -> str:
    entry = catalog_entry(integration)
    return entry.name if entry else integration


def provider_for(integration: str) -> Provider:
    try:
        return get_provider(integration)
    except LookupError:
        raise approval_errors.UnknownIntegration(
            approval_errors.UNKNOWN_INTEGRATION.format(key=integration)
        ) from None


def connection_for(*, team: Team | None, integration: str) -> Connection | None:
    """The team's connection for the provider's calls (`Provider.connection_for`); raises
    IntegrationNotSetUp when the provider needs one (its manifest says) and the team has none."""
    provider = provider_for(integration)
    connection = provider.connection_for(team)
    if connection is None and provider.manifest.needs_connection:
        raise errors.IntegrationNotSetUp(
            errors.INTEGRATION_NOT_SET_UP.format(integration=provider.name))
    return connection


def backoff_seconds(attempt: int) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(max, base * 2**attempt)]
    (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/), at least 1s."""
    ceiling = min(float(token_settings.TOKEN_RETRY_BACKOFF_MAX),
                  float(token_settings.TOKEN_RETRY_BACKOFF_BASE) * (2 ** max(attempt, 0)))
    return max(1.0, random.uniform(0, ceiling))  # noqa: S311 - jitter, not a secret


def retry_delay(error: ApiError, attempt: int) -> float:
    """When to try again: the provider's Retry-After for a 429, else backoff with jitter."""
    if error.retry_after is not None:
        return max(1.0, float(error.retry_after))
    return backoff_seconds(attempt)


def _identity(account: ConnectedAccount) -> str:
    return account.provider_account_name or account.provider_account_id or "unnamed"


def label(account: ConnectedAccount) -> str:
    """How an account is named in audit events: "ada's Asana account (Ada Lovelace)", its owner,
    the tool and who it is there ("admin revoked ada's Asana account (Ada Lovelace)")."""
    return f"{account.user}'s {name_of(account.integration)} account ({_identity(account)})"


def connected_as(account: ConnectedAccount) -> str:
    """The target of a connection, made by the account's owner: "Asana as Ada Lovelace" ("ada
    connected Asana as Ada Lovelace", not "ada connected ada's ...")."""
    return f"{name_of(account.integration)} as {_identity(account)}"
