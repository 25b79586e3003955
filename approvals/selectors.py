"""Reading governance state: roles, visible teams, pending requests."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from approvals.models import Installation, InstallRequest, Membership, Team

SUPPORT_GROUP = "Support"


def is_support(user: AbstractBaseUser) -> bool:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    cached = getattr(user, "_conduit_is_support", None)
    if cached is None:
        cached = user.groups.filter(name=SUPPORT_GROUP).exists()
        user._conduit_is_support = cached
    return cached


def membership_get(*, user: AbstractBaseUser, team: Team) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, team=team).first()


def is_team_admin(*, user: AbstractBaseUser, team: Team) -> bool:
    membership = membership_get(user=user, team=team)
    return membership is not None and membership.role == Membership.Role.ADMIN


def teams_administered_by(user: AbstractBaseUser) -> QuerySet[Team]:
    return Team.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.ADMIN
    ).distinct()


def teams_of(user: AbstractBaseUser) -> QuerySet[Team]:
    return Team.objects.filter(memberships__user=user).distinct()


def installation_get(*, team: Team, integration: str) -> Installation | None:
    return Installation.objects.filter(team=team, integration=integration).first()


def install_requests_pending(*, teams: QuerySet[Team] | None = None) -> QuerySet[InstallRequest]:
    queryset = InstallRequest.objects.filter(status=InstallRequest.Status.PENDING)
    if teams is not None:
        queryset = queryset.filter(team__in=teams)
    return queryset


def install_request_pending_for(
    *, team: Team, integration: str, user: AbstractBaseUser
) -> InstallRequest | None:
    return install_requests_pending().filter(
        team=team, integration=integration, requested_by=user
    ).first()
