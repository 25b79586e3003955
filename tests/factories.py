"""Plain factory functions for the tests' data."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from approvals.catalog import Plan
from approvals.models import Membership, Team
from approvals.selectors import SUPPORT_GROUP

User = get_user_model()
_sequence = itertools.count(1)
PASSWORD = "correct horse battery staple"


def make_user(username: str | None = None, *, staff: bool = False, **fields) -> User:
    username = username or f"user{next(_sequence)}"
    return User.objects.create_user(
        username=username, email=f"{username}@example.com", password=PASSWORD,
        is_staff=staff, **fields,
    )


def make_team(name: str | None = None, *, plan: str = Plan.BUSINESS) -> Team:
    return Team.objects.create(name=name or f"Team {next(_sequence)}", plan=plan)


def make_member(team: Team, username: str | None = None, *, role: str = Membership.Role.MEMBER,
                staff: bool = False) -> User:
    user = make_user(username, staff=staff)
    Membership.objects.create(user=user, team=team, role=role)
    return user


def make_admin(team: Team, username: str | None = None) -> User:
    """A team admin: a staff user (the console is the admin) with an admin membership."""
    return make_member(team, username, role=Membership.Role.ADMIN, staff=True)


def make_support(username: str | None = None) -> User:
    user = make_user(username, staff=True)
    group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    user.groups.add(group)
    return user
