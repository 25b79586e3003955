"""Reading connected accounts: for a caller, for the /integrations/ page, for the jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from approvals.catalog import CATALOG
from approvals.models import Installation, InstallRequest, Membership, Team
from tokens import account_cache
from tokens.account_cache import account_key
from tokens.models import ConnectedAccount, ProviderRevocation


def account_get(*, user: AbstractBaseUser, team: Team, integration: str) -> ConnectedAccount | None:
    """The user's account for the integration in the team (active or needing a reconnect), or
    None; a revoked account is kept for the console only and counts as none here."""
    if not user.is_authenticated:
        return None
    account = ConnectedAccount.objects.filter(user=user, team=team, integration=integration).exclude(
        status=ConnectedAccount.Status.REVOKED).first()
    if account is not None:
        account.team = team  # the caller's row: account_credentials needs no second team query
    return account


# account_get's row plus whether the team has the integration installed, in one statement.
_ACCOUNT_FOR_CALL = """
SELECT {columns}, EXISTS (
    SELECT 1 FROM {installation} installation
    WHERE installation.team_id = account.team_id AND installation.integration = account.integration
) AS team_installed
FROM {account} account
WHERE account.user_id = %s AND account.team_id = %s AND account.integration = %s
    AND account.status <> %s
LIMIT 1
"""


def _account_for_call_sql() -> str:
    columns = ", ".join(f"account.{field.column}" for field in ConnectedAccount._meta.concrete_fields)
    return _ACCOUNT_FOR_CALL.format(columns=columns, account=ConnectedAccount._meta.db_table,
                                    installation=Installation._meta.db_table)


def _account_from_row(row: tuple, connection) -> ConnectedAccount:
    """The model instance of a row of the concrete fields, converted as the ORM converts them
    (the encrypted fields' from_db_value, the backend's converters)."""
    fields = ConnectedAccount._meta.concrete_fields
    values = []
    for model_field, value in zip(fields, row, strict=True):
        for converter in (connection.ops.get_db_converters(model_field.cached_col)
                          + model_field.get_db_converters(connection)):
            value = converter(value, model_field.cached_col, connection)
        values.append(value)
    return ConnectedAccount.from_db(connection.alias, [f.attname for f in fields], values)


def account_for_call(*, user: AbstractBaseUser, team: Team,
                     integration: str) -> ConnectedAccount | None:
    """account_get for an action about to call the provider, in one query: the same account
    (never a revoked one) with `team_installed`, whether the team has the integration installed.

    Kept per process for a few seconds (tokens.account_cache), so a burst of one person's
    actions reads it once. Raw SQL on a plain cursor when read: compiling the ORM's two
    querysets (account, installation) cost three times what PostgreSQL takes to answer this one
    statement, and a RawQuerySet's column mapping another 0.1 ms (bench P1)."""
    if not user.is_authenticated:
        return None
    key = account_key(user_id=user.pk, team_id=team.pk, integration=integration)
    account = account_cache.accounts.get(key, load=lambda: _account_for_call_read(
        user_id=user.pk, team_id=team.pk, integration=integration))
    if account is not None:
        account.team = team  # the caller's row: account_credentials needs no second team query
    return account


def _account_for_call_read(*, user_id: object, team_id: object,
                           integration: str) -> ConnectedAccount | None:
    from django.db import connections

    connection = connections[ConnectedAccount.objects.db]
    params = [user_id, team_id, integration, ConnectedAccount.Status.REVOKED]
    with connection.cursor() as cursor:
        cursor.execute(_account_for_call_sql(), params)
        row = cursor.fetchone()
    if row is None:
        return None
    account = _account_from_row(row[:-1], connection)
    account.team_installed = bool(row[-1])
    return account


def connect_url(integration: str) -> str:
    """Where a browser starts (or restarts) connecting the integration."""
    return reverse("tokens:connect", args=[integration])


def accounts_expiring_query(*, within_seconds: int) -> QuerySet[ConnectedAccount]:
    """Usable OAuth 2.0 accounts whose token expires within the window."""
    horizon = timezone.now() + timedelta(seconds=within_seconds)
    return ConnectedAccount.objects.filter(
        status=ConnectedAccount.Status.ACTIVE,
        access_token__isnull=False,
        refresh_token__isnull=False,
        expires_at__lte=horizon,
    )


def accounts_expiring(*, within_seconds: int, limit: int | None = None) -> list:
    """Ids of usable OAuth 2.0 accounts whose token expires within the window, soonest first
    (all of them unless `limit`)."""
    return list(
        accounts_expiring_query(within_seconds=within_seconds)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )


def accounts_unused(*, days: int) -> QuerySet[ConnectedAccount]:
    """Accounts holding credentials that nobody used for `days` days (connecting counts as a
    use; refreshing does not)."""
    cutoff = timezone.now() - timedelta(days=days)
    return (
        ConnectedAccount.objects.filter(Q(access_token__isnull=False) | Q(refresh_token__isnull=False))
        .annotate(last_use=Coalesce("last_used_at", "created_at"))
        .filter(last_use__lt=cutoff)
    )


def revocations_due(*, overdue_seconds: int = 0, limit: int = 500) -> list:
    """Ids of queued provider revocations whose next try is at least `overdue_seconds` late."""
    cutoff = timezone.now() - timedelta(seconds=overdue_seconds)
    return list(
        ProviderRevocation.objects.filter(next_attempt_at__lte=cutoff)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


# -- the /integrations/ page -----------------------------------------------------------------
UNINSTALL_FOR_ME_ACTION = "integration.uninstall_for_me"
CONNECT_ACTION = "account.connect"


@dataclass
class IntegrationState:
    """One integration as one user sees it in one team: the one state that the REST API, the
    board page, the /integrations/ page and the connect page all show."""

    key: str
    name: str
    available: bool
    plans: list[str]
    installed: bool
    account: ConnectedAccount | None
    # The user's latest install request in the team, whatever its status and the installation.
    latest_request: InstallRequest | None
    is_admin: bool
    connect_url: str
    # When the user last chose "Uninstall for me" here and has not connected since, else None.
    removed_for_me_at: datetime | None = None

    @property
    def install_request(self) -> InstallRequest | None:
        """The latest request, when the integration is not installed (what the pages offer)."""
        return None if self.installed else self.latest_request

    @property
    def request_status(self) -> str | None:
        """The latest request's status (the REST API's `request_status`)."""
        return self.latest_request.status if self.latest_request is not None else None

    @property
    def account_status(self) -> str | None:
        return self.account.status if self.account is not None else None

    @property
    def connected(self) -> bool:
        return (
            self.account is not None
            and self.account.status == ConnectedAccount.Status.ACTIVE
            and self.account.has_credentials
        )

    @property
    def needs_reconnect(self) -> bool:
        return self.account is not None and not self.connected

    @property
    def removed_for_me(self) -> bool:
        return self.account is None and self.removed_for_me_at is not None

    @property
    def scopes_granted(self) -> list[str]:
        return self.account.scopes.split() if self.account and self.account.scopes else []


def removals_for_me(*, user: AbstractBaseUser, teams: list[Team]) -> dict[tuple[int, str], datetime]:
    """(team id, integration) → when the user chose "Uninstall for me" there, for those where
    no connect followed (one query over the user's own audit events; the audit log is the
    record of that choice)."""
    from approvals.models import AuditEvent

    latest: dict[tuple[int, str], tuple[str, datetime]] = {}
    events = (
        AuditEvent.objects.filter(actor=user, team__in=teams,
                                  action__in=(UNINSTALL_FOR_ME_ACTION, CONNECT_ACTION))
        .order_by("created_at", "id").values_list("team_id", "action", "metadata", "created_at")
    )
    for team_id, action, metadata, created_at in events:
        integration = (metadata or {}).get("integration")
        if integration:
            latest[(team_id, integration)] = (action, created_at)
    return {key: when for key, (action, when) in latest.items()
            if action == UNINSTALL_FOR_ME_ACTION}


def integration_states_by_team(
    *, user: AbstractBaseUser, memberships: list[Membership]
) -> dict[int, list[IntegrationState]]:
    """Team id → each integration of the catalog as the user sees it there (plan, installation,
    their account, their latest request, their role), in four queries whatever the counts."""
    teams = [membership.team for membership in memberships]
    installed = set(
        Installation.objects.filter(team__in=teams).values_list("team_id", "integration")
    )
    accounts = {
        (account.team_id, account.integration): account
        for account in ConnectedAccount.objects.filter(user=user, team__in=teams).exclude(
            status=ConnectedAccount.Status.REVOKED)
    }
    removals = removals_for_me(user=user, teams=teams)
    requests: dict[tuple[int, str], InstallRequest] = {}
    for install_request in InstallRequest.objects.filter(
        requested_by=user, team__in=teams
    ).order_by("created_at", "id"):
        requests[(install_request.team_id, install_request.integration)] = install_request
    catalog = list(CATALOG.values())
    states: dict[int, list[IntegrationState]] = {}
    for membership in memberships:
        team = membership.team
        states[team.pk] = [
            IntegrationState(
                key=entry.key,
                name=entry.name,
                available=team.plan in entry.plans,
                plans=sorted(entry.plans),
                installed=(team.pk, entry.key) in installed,
                account=accounts.get((team.pk, entry.key)),
                latest_request=requests.get((team.pk, entry.key)),
                is_admin=membership.role == Membership.Role.ADMIN,
                connect_url=connect_url(entry.key),
                removed_for_me_at=removals.get((team.pk, entry.key)),
            )
            for entry in catalog
        ]
    return states


def integration_states(*, user: AbstractBaseUser, team: Team) -> list[IntegrationState]:
    """Each integration of the catalog as the user sees it in one team (the REST API's list,
    the board page)."""
    membership = Membership.objects.filter(user=user, team=team).first() if (
        user.is_authenticated) else None
    if membership is None:
        membership = Membership(team=team, role="")  # not a member: no role, nothing of theirs
    membership.team = team
    return integration_states_by_team(user=user, memberships=[membership])[team.pk]


def integration_state(*, user: AbstractBaseUser, team: Team, integration: str) -> IntegrationState:
    """One integration as the user sees it in the team (the connect page's view of it)."""
    return next(state for state in integration_states(user=user, team=team)
                if state.key == integration)


@dataclass
class TeamIntegrations:
    team: Team
    role: str
    integrations: list[IntegrationState] = field(default_factory=list)


def integrations_overview(*, user: AbstractBaseUser) -> list[TeamIntegrations]:
    """Every integration of every team of the user, in five queries whatever the counts."""
    memberships = sorted(Membership.objects.filter(user=user).select_related("team"),
                         key=lambda item: item.team.name)
    states = integration_states_by_team(user=user, memberships=memberships)
    return [
        TeamIntegrations(team=membership.team, role=membership.get_role_display(),
                         integrations=states[membership.team.pk])
        for membership in memberships
    ]
