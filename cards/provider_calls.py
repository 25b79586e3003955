"""How cards reach a tool: installation gate, the user's own account, and typed failures.

Everything here goes through the Provider protocol and `tokens` (account_for_call, account_call);
provider `ApiError`s become `cards.errors.ProviderRefused` subclasses with the tool's status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser

from approvals.decisions import integration_access_obtain
from approvals.models import Team
from cards import errors
from cards.selectors import integration_name
from integrations import errors as api_errors
from integrations.providers import Credentials, Provider, get_provider, supports

T = TypeVar("T")


def provider_for(integration: str, capability: type | None = None,
                 feature: str = "this operation") -> Any:
    """The enabled provider; with `capability`, only when it declares it (NotSupported naming
    `feature` otherwise), typed for the caller as that capability."""
    integration_name(integration)  # UnknownIntegration for a key outside the catalog
    try:
        provider: Provider = get_provider(integration)
    except LookupError:
        raise errors.NotSupported(
            errors.NOT_SUPPORTED.format(integration=integration_name(integration),
                                        feature=feature)
        ) from None
    if capability is not None and not supports(provider, capability):
        raise errors.NotSupported(
            errors.NOT_SUPPORTED.format(integration=provider.name, feature=feature))
    return provider


def integration_ensure_installed(
    *, team: Team, integration: str, acting_user: AbstractBaseUser, source_ip: str | None = None
) -> None:
    """Returns when the team has the integration; a team admin installs it at once (audited);
    a member's use creates (or finds) their pending install request and raises InstallRequested.
    The plan gate (402) applies to both. Decided by approvals.decisions, as everywhere."""
    decision = integration_access_obtain(user=acting_user, team=team, integration=integration,
                                         source_ip=source_ip)
    if decision.install_request is not None:
        raise errors.InstallRequested(
            errors.INSTALL_REQUESTED.format(integration=decision.entry.name, team=team.name),
            install_request=decision.install_request,
        )


def account_for(*, user: AbstractBaseUser, team: Team, integration: str) -> Any:
    """The user's own connected account, or NeedsConnection (409, detail.connect_url)."""
    from tokens.selectors import account_for_call

    return _usable(account_for_call(user=user, team=team, integration=integration), integration)


def installed_account_for(
    *, user: AbstractBaseUser, team: Team, integration: str, source_ip: str | None = None
) -> Any:
    """integration_ensure_installed, then account_for, in one query when the team has the
    integration and the user an account (the case of every call but the first): installs it
    (team admin) or raises InstallRequested (member) when the team lacks it, NeedsConnection
    when the user has no usable account."""
    from tokens.selectors import account_for_call

    account = account_for_call(user=user, team=team, integration=integration)
    if account is None or not account.team_installed:
        integration_ensure_installed(
            team=team, integration=integration, acting_user=user, source_ip=source_ip
        )
    return _usable(account, integration)


def _usable(account: Any, integration: str) -> Any:
    from tokens.models import ConnectedAccount

    if account is None or not (
        account.status == ConnectedAccount.Status.ACTIVE and account.has_credentials
    ):
        raise needs_connection(integration)
    return account


def needs_connection(integration: str) -> errors.NeedsConnection:
    from tokens.selectors import connect_url

    return errors.NeedsConnection(
        errors.NEEDS_CONNECTION.format(integration=integration_name(integration)),
        detail={"connect_url": connect_url(integration), "integration": integration},
    )


def provider_call(
    *, account: Any, integration: str, call: Callable[[Credentials], T],
    detail: dict[str, Any] | None = None,
) -> T:
    """Run `call` with the account's valid credentials (tokens refreshes as needed); a provider
    failure becomes the matching ProviderRefused carrying `detail`."""
    from tokens.services import account_call

    try:
        return account_call(account=account, call=call)
    except api_errors.ApiUnauthorized:
        # Still unauthorized after tokens' refresh: only reconnecting helps.
        raise needs_connection(integration) from None
    except api_errors.ApiError as error:
        raise errors.provider_error(
            error, integration=integration_name(integration), detail=detail
        ) from error
