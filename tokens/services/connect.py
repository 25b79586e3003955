"""Connecting an account: what stands before the consent screen, the provider's answer stored
encrypted with the provider identity, and refused callbacks audited."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from approvals import errors as approval_errors
from approvals.audit import audit_event_record
from approvals.decisions import (
    AccessOutcome,
    integration_access_decide,
    integration_access_obtain,
)
from approvals.models import Team
from integrations.errors import ApiError, OAuthError
from integrations.providers import AuthorizationStart
from tokens import errors
from tokens.models import ConnectedAccount
from tokens.services.common import Status, connected_as, connection_for, name_of, provider_for
from tokens.services.revocation import queue_revocation


def account_connect_prepare(
    *, user: AbstractBaseUser, team: Team, integration: str, source_ip: str | None = None
) -> str:
    """What stands between the user and the provider's consent screen, resolved through the
    one access decision (approvals.decisions).

    Returns "ready" (installed), "installed" (the user is a team admin: installed now) or
    "requested" (a member: an install request exists, created now or earlier; idempotent).
    Raises the approvals errors (not a member, plan upgrade needed, unknown integration).
    """
    decision = integration_access_obtain(user=user, team=team, integration=integration,
                                         source_ip=source_ip)
    return PREPARED[decision.outcome]


PREPARED = {AccessOutcome.USE: "ready", AccessOutcome.INSTALL: "installed",
            AccessOutcome.REQUEST: "requested", AccessOutcome.PENDING: "requested"}


def _require_installed(*, user: AbstractBaseUser, team: Team, integration: str) -> None:
    decision = integration_access_decide(user=user, team=team, integration=integration)
    decision.raise_if_refused()
    if not decision.usable:
        raise approval_errors.NotInstalled(
            errors.NOT_INSTALLED.format(integration=name_of(integration), team=team.name)
        )


def account_connect_start(
    *, user: AbstractBaseUser, team: Team, integration: str, redirect_uri: str
) -> AuthorizationStart:
    """Where to send the browser (the provider's consent screen) and what the callback needs.

    Only for members of a team that installed the integration; Jira needs the team's server.
    Changes nothing: the caller keeps the returned start in the user's session.
    """
    _require_installed(user=user, team=team, integration=integration)
    connection = connection_for(team=team, integration=integration)
    try:
        return provider_for(integration).authorization_start(redirect_uri=redirect_uri,
                                                          connection=connection)
    except OAuthError as error:
        raise errors.ConnectFlowRefused(
            error.message if error.explained else errors.FLOW_PROVIDER_ERROR.format(
                integration=name_of(integration), reason=error.error[:60]),
            reason="provider_error", http_status=502,
        ) from None
    except ApiError:
        raise errors.ConnectFlowRefused(
            errors.FLOW_PROVIDER_UNAVAILABLE.format(integration=name_of(integration)),
            reason="provider_unavailable", http_status=502,
        ) from None


def account_connect_finish(
    *, user: AbstractBaseUser, team: Team, integration: str, params: dict[str, str],
    start: AuthorizationStart, redirect_uri: str, source_ip: str | None = None,
) -> ConnectedAccount:
    """Exchange the callback's answer for tokens and store them, encrypted, with the
    provider identity. The state was checked by the caller (tokens.flow).

    A user who declined, a provider error or an unreachable provider raise ConnectFlowRefused
    and store nothing. Reconnecting replaces the account's credentials and queues the
    revocation of the replaced ones. Audit event "account.connect".
    """
    name = name_of(integration)
    denied = params.get("error") == "access_denied" or params.get("oauth_verifier") == "denied"
    if denied:
        raise errors.ConnectFlowRefused(errors.FLOW_DENIED.format(integration=name),
                                        reason="access_denied")
    # OAuth 2.0's `error` is explained here; OAuth 1.0a's `oauth_problem` goes to the provider,
    # which knows what each of Jira's problems means and what to do about it.
    if params.get("error"):
        reason = params["error"]
        raise errors.ConnectFlowRefused(
            errors.FLOW_PROVIDER_ERROR.format(integration=name, reason=reason[:60]),
            reason="provider_error",
        )
    _require_installed(user=user, team=team, integration=integration)
    connection = connection_for(team=team, integration=integration)
    try:
        token_set = provider_for(integration).authorization_finish(
            params=params, start=start, redirect_uri=redirect_uri, connection=connection
        )
    except OAuthError as error:
        if error.error == "access_denied":
            raise errors.ConnectFlowRefused(errors.FLOW_DENIED.format(integration=name),
                                            reason="access_denied") from None
        raise errors.ConnectFlowRefused(
            error.message if error.explained
            else errors.FLOW_PROVIDER_ERROR.format(integration=name, reason=error.error[:60]),
            reason="provider_error",
        ) from None
    except ApiError:
        raise errors.ConnectFlowRefused(
            errors.FLOW_PROVIDER_UNAVAILABLE.format(integration=name),
            reason="provider_unavailable", http_status=502,
        ) from None
    now = timezone.now()
    with transaction.atomic():
        account = (
            ConnectedAccount.objects.select_for_update()
            .filter(user=user, team=team, integration=integration)
            .first()
        )
        if account is None:
            account = ConnectedAccount(user=user, team=team, integration=integration)
        else:
            queue_revocation(account, replaced=True)
        # Connecting again after a revocation reuses the kept row.
        account.revoked_at = None
        account.revoked_by = None
        account.revoked_reason = ""
        account.access_token = token_set.access_token
        account.refresh_token = token_set.refresh_token
        account.token_secret = token_set.token_secret
        account.expires_at = token_set.expires_at
        account.scopes = token_set.scopes[:500]
        account.provider_account_id = token_set.account_id[:255]
        account.provider_account_name = token_set.account_name[:255]
        account.provider_account_email = token_set.account_email[:255]
        account.status = Status.ACTIVE
        account.consecutive_failures = 0
        account.last_used_at = now
        account.last_refreshed_at = None
        account.save()
        audit_event_record(
            action="account.connect", actor=user, target=connected_as(account), team=team,
            source_ip=source_ip,
            metadata={"integration": integration, "account": str(account.pk),
                      "provider_account_id": account.provider_account_id,
                      "scopes": account.scopes},
        )
    return account


def account_connect_refused(
    *, user: AbstractBaseUser | None, team: Team | None, integration: str, reason: str,
    source_ip: str | None = None,
) -> None:
    """Audit a callback that stored nothing (declined, bad or replayed state, provider error)."""
    audit_event_record(
        action="account.connect_refused", actor=user, target=name_of(integration), team=team,
        source_ip=source_ip, metadata={"integration": integration, "reason": reason},
    )

