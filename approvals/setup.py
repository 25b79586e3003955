"""First setup of a fresh install: a team, its plan and its first admin (`manage.py team_create`)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from approvals.audit import audit_event_record
from approvals.catalog import Plan
from approvals.errors import ApplicationError
from approvals.models import Membership, Team

TEAM_EXISTS = "A team named {name!r} exists already."
USER_EXISTS = "The user {username!r} exists already: choose another admin user name."
UNKNOWN_PLAN = "Unknown plan {plan!r}: choose one of {choices}."


class SetupRefused(ApplicationError):
    code = "setup_refused"


def team_create(
    *, name: str, plan: str, admin_username: str, admin_email: str, admin_password: str,
) -> tuple[Team, AbstractBaseUser]:
    """Create a team on `plan` with a new staff user as its admin, in one transaction.

    Not idempotent on purpose: an existing team or user name is refused (SetupRefused), never
    changed. The password must pass the configured validators. Writes a `membership.create` audit
    event with the new admin as actor.
    """
    if plan not in Plan.values:
        raise SetupRefused(UNKNOWN_PLAN.format(plan=plan, choices=", ".join(Plan.values)))
    user_model = get_user_model()
    with transaction.atomic():
        if Team.objects.filter(name=name).exists():
            raise SetupRefused(TEAM_EXISTS.format(name=name))
        if user_model.objects.filter(username=admin_username).exists():
            raise SetupRefused(USER_EXISTS.format(username=admin_username))
        user = user_model(username=admin_username, email=admin_email, is_staff=True)
        validate_password(admin_password, user=user)
        user.set_password(admin_password)
        user.save()
        team = Team.objects.create(name=name, plan=plan)
        Membership.objects.create(user=user, team=team, role=Membership.Role.ADMIN)
        audit_event_record(action="membership.create", actor=user, target=str(user), team=team,
                           metadata={"user": user.pk, "role": Membership.Role.ADMIN, "plan": plan,
                                     "team_created": True})
    return team, user
