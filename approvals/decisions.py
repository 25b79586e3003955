"""Whether a user may use an integration in a team, and what using it does: the one place that
decides "an admin installs, a member requests, an installed one is used".

`integration_access_decide` reads and returns a typed `AccessDecision`; `integration_access_obtain`
acts on it (installs for an admin, files the member's request). Every page, API view and service
that starts the install/request flow goes through these two, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Subquery

from approvals import errors
from approvals.catalog import CatalogEntry, catalog_entry
from approvals.models import Installation, InstallRequest, Membership, Team
from approvals.selectors import install_request_pending_for
from approvals.services import install_request_create, integration_install
from config.errors import ApplicationError


class AccessOutcome(StrEnum):
    USE = "use"  # installed for the team: go on
    INSTALL = "install"  # not installed; the user is a team admin, so using it installs it
    REQUEST = "request"  # not installed; a member without a pending request asks the admins
    PENDING = "pending"  # not installed; the member's request is already pending
    NOT_ON_PLAN = "not_on_plan"  # the team's plan does not include it (402)
    NOT_A_MEMBER = "not_a_member"  # the user is not in the team (403)
    UNKNOWN = "unknown"  # no enabled provider has this key (404)


REFUSALS = frozenset({AccessOutcome.NOT_ON_PLAN, AccessOutcome.NOT_A_MEMBER,
                      AccessOutcome.UNKNOWN})


@dataclass(frozen=True)
class AccessDecision:
    """What `user` may do with `integration` in `team`, and why."""

    outcome: AccessOutcome
    team: Team
    integration: str
    entry: CatalogEntry | None
    is_admin: bool = False
    # The member's pending request (PENDING, or REQUEST once integration_access_obtain filed it).
    install_request: InstallRequest | None = None

    @property
    def usable(self) -> bool:
        return self.outcome is AccessOutcome.USE

    @property
    def refused(self) -> bool:
        return self.outcome in REFUSALS

    def refusal(self) -> ApplicationError | None:
        """The error the user sees for a refused decision (the same everywhere), else None."""
        if self.outcome is AccessOutcome.UNKNOWN:
            return errors.UnknownIntegration(errors.UNKNOWN_INTEGRATION.format(key=self.integration))
        if self.outcome is AccessOutcome.NOT_ON_PLAN:
            assert self.entry is not None
            return errors.plan_upgrade_needed(
                integration=self.entry.name, plan=self.team.plan,
                plan_label=self.team.get_plan_display(), plans=self.entry.plans)
        if self.outcome is AccessOutcome.NOT_A_MEMBER:
            return errors.NotTeamMember(errors.NOT_A_MEMBER)
        return None

    def raise_if_refused(self) -> AccessDecision:
        error = self.refusal()
        if error is not None:
            raise error
        return self


def integration_access_decide(
    *, user: AbstractBaseUser, team: Team, integration: str
) -> AccessDecision:
    """Decide, in this order: unknown integration, not on the team's plan, not a member,
    installed (use), admin (install), member with a pending request, member (request).

    Changes nothing. One query for the user's role and the installation together; a second,
    only for a member of a team without the integration, for their pending request.
    """
    entry = catalog_entry(integration)
    if entry is None:
        return AccessDecision(AccessOutcome.UNKNOWN, team, integration, None)
    if team.plan not in entry.plans:
        return AccessDecision(AccessOutcome.NOT_ON_PLAN, team, integration, entry)
    role, installed = _role_and_installed(user=user, team=team, integration=integration)
    if role is None:
        return AccessDecision(AccessOutcome.NOT_A_MEMBER, team, integration, entry)
    is_admin = role == Membership.Role.ADMIN
    if installed:
        return AccessDecision(AccessOutcome.USE, team, integration, entry, is_admin)
    if is_admin:
        return AccessDecision(AccessOutcome.INSTALL, team, integration, entry, is_admin)
    pending = install_request_pending_for(team=team, integration=integration, user=user)
    if pending is not None:
        return AccessDecision(AccessOutcome.PENDING, team, integration, entry, is_admin, pending)
    return AccessDecision(AccessOutcome.REQUEST, team, integration, entry, is_admin)


def _role_and_installed(
    *, user: AbstractBaseUser, team: Team, integration: str
) -> tuple[str | None, bool]:
    if not user.is_authenticated:
        installed = Installation.objects.filter(team=team, integration=integration).exists()
        return None, installed
    row = (
        Team.objects.filter(pk=team.pk)
        .annotate(
            role=Subquery(Membership.objects.filter(team=OuterRef("pk"), user=user)
                          .values("role")[:1]),
            installed=Exists(Installation.objects.filter(team=OuterRef("pk"),
                                                         integration=integration)),
        )
        .values_list("role", "installed")
        .first()
    )
    return (row[0], row[1]) if row is not None else (None, False)


def integration_access_obtain(
    *, user: AbstractBaseUser, team: Team, integration: str, source_ip: str | None = None
) -> AccessDecision:
    """Decide, then act: a refusal raises its error (UnknownIntegration 404,
    PlanUpgradeNeeded 402, NotTeamMember 403); USE changes nothing; INSTALL installs for the
    team (integration_install: audited, approves pending requests); REQUEST and PENDING return
    the member's pending request, created now or earlier (install_request_create: idempotent,
    also under concurrent requests). The returned decision carries that request.
    """
    decision = integration_access_decide(user=user, team=team, integration=integration)
    decision.raise_if_refused()
    if decision.outcome is AccessOutcome.INSTALL:
        integration_install(team=team, integration=integration, acting_user=user,
                            source_ip=source_ip)
    elif decision.outcome is AccessOutcome.REQUEST:
        install_request = install_request_create(team=team, integration=integration,
                                                 requested_by=user, source_ip=source_ip)
        return AccessDecision(decision.outcome, team, integration, decision.entry,
                              decision.is_admin, install_request)
    return decision


def install_request_submit(
    *, user: AbstractBaseUser, team: Team, integration: str, source_ip: str | None = None
) -> AccessDecision:
    """Someone asks for the integration explicitly (the API's POST install-requests): as
    `integration_access_obtain` (an admin installs, idempotently; a member's request is filed
    or found), except that a member asking for an installed integration is AlreadyInstalled
    (409), since there is nothing left to ask for."""
    decision = integration_access_obtain(user=user, team=team, integration=integration,
                                         source_ip=source_ip)
    if decision.outcome is AccessOutcome.USE and not decision.is_admin:
        assert decision.entry is not None
        raise errors.AlreadyInstalled(
            errors.ALREADY_INSTALLED.format(integration=decision.entry.name))
    return decision
