"""The install and consent workflow.

Every service that changes governed state runs in one transaction, takes the keyword-only
`acting_user`, writes its audit event in that transaction and sends notifications on commit.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from approvals import errors, notifications
from approvals.audit import audit_changes, audit_event_record
from approvals.audit_actions import AuditAction, RevocationReason
from approvals.catalog import CATALOG, CatalogEntry, integration_entry
from approvals.hooks import member_leaving, revoke_accounts
from approvals.models import Installation, InstallRequest, Membership, Team
from approvals.selectors import (
    install_request_pending_for,
    installation_get,
    is_team_admin,
    membership_get,
)


def integration_check_available(*, team: Team, integration: str) -> CatalogEntry:
    """The catalog entry, or the error a user should see (unknown integration, plan gate)."""
    entry = integration_entry(integration)
    if team.plan not in entry.plans:
        raise errors.plan_upgrade_needed(integration=entry.name, plan=team.plan,
                                         plan_label=team.get_plan_display(), plans=entry.plans)
    return entry


def _require_admin(*, user: AbstractBaseUser, team: Team) -> None:
    if not is_team_admin(user=user, team=team):
        raise errors.AdminsOnly(errors.ADMINS_ONLY)


def _approve_pending(*, team: Team, integration: str, acting_user: AbstractBaseUser) -> list[int]:
    """Mark every pending request of the team and integration approved; their ids."""
    pending = list(
        InstallRequest.objects.select_for_update().filter(
            team=team, integration=integration, status=InstallRequest.Status.PENDING
        )
    )
    now = timezone.now()
    for install_request in pending:
        install_request.status = InstallRequest.Status.APPROVED
        install_request.decided_by = acting_user
        install_request.decided_at = now
    InstallRequest.objects.bulk_update(pending, ["status", "decided_by", "decided_at"])
    return [install_request.pk for install_request in pending]


def integration_install(
    *, team: Team, integration: str, acting_user: AbstractBaseUser, source_ip: str | None = None
) -> Installation:
    """Install for the team (admins only). Idempotent: installing twice returns the same row.

    Approves every pending request for it and tells the requesters on commit.
    """
    entry = integration_check_available(team=team, integration=integration)
    _require_admin(user=acting_user, team=team)
    with transaction.atomic():
        Team.objects.select_for_update().get(pk=team.pk)
        installation = installation_get(team=team, integration=integration)
        if installation is not None:
            return installation
        installation = Installation.objects.create(
            team=team, integration=integration, installed_by=acting_user
        )
        approved = _approve_pending(team=team, integration=integration, acting_user=acting_user)
        audit_event_record(
            action=AuditAction.INTEGRATION_INSTALL,
            actor=acting_user,
            target=entry.name,
            team=team,
            source_ip=source_ip,
            metadata={"integration": integration, "approved_requests": approved},
        )
        notifications.notify_requests_approved(
            team=team, request_ids=approved, integration_name=entry.name,
            acting_user=acting_user,
        )
    return installation


def install_request_create(
    *, team: Team, integration: str, requested_by: AbstractBaseUser,
    source_ip: str | None = None,
) -> InstallRequest:
    """A member asks the team's admins to install. One pending request per member and
    integration: asking again returns the pending one (also under concurrent requests)."""
    entry = integration_check_available(team=team, integration=integration)
    if membership_get(user=requested_by, team=team) is None:
        raise errors.NotTeamMember(errors.NOT_A_MEMBER)
    if installation_get(team=team, integration=integration) is not None:
        raise errors.AlreadyInstalled(errors.ALREADY_INSTALLED.format(integration=entry.name))
    existing = install_request_pending_for(team=team, integration=integration, user=requested_by)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            install_request = InstallRequest.objects.create(
                team=team, integration=integration, requested_by=requested_by
            )
            audit_event_record(
                action=AuditAction.INSTALL_REQUEST_CREATE,
                actor=requested_by,
                target=entry.name,
                team=team,
                source_ip=source_ip,
                metadata={"integration": integration, "request": install_request.pk},
            )
            notifications.notify_install_requested(
                install_request=install_request, integration_name=entry.name
            )
    except IntegrityError:
        # Another request of the same member won the race: theirs is the pending one.
        existing = install_request_pending_for(
            team=team, integration=integration, user=requested_by
        )
        if existing is None:
            raise
        return existing
    return install_request


def _lock_pending(install_request: InstallRequest) -> InstallRequest:
    locked = InstallRequest.objects.select_for_update().get(pk=install_request.pk)
    if locked.status != InstallRequest.Status.PENDING:
        raise errors.RequestNotPending(
            errors.REQUEST_NOT_PENDING.format(status=locked.get_status_display().lower())
        )
    return locked


def install_request_approve(
    *, install_request: InstallRequest, acting_user: AbstractBaseUser,
    source_ip: str | None = None,
) -> Installation:
    """Approve (admins of that team only): installs, approving every pending request of the
    team and integration, with one audit event for the decision and one for the install."""
    team = install_request.team
    _require_admin(user=acting_user, team=team)
    with transaction.atomic():
        locked = _lock_pending(install_request)
        audit_event_record(
            action=AuditAction.INSTALL_REQUEST_APPROVE,
            actor=acting_user,
            target=str(locked),
            team=team,
            source_ip=source_ip,
            metadata={"integration": locked.integration, "request": locked.pk},
            changes=audit_changes(status=(locked.status, InstallRequest.Status.APPROVED)),
        )
        installation = integration_install(
            team=team, integration=locked.integration, acting_user=acting_user,
            source_ip=source_ip,
        )
        # Installed earlier by another path: this request is still to be marked approved.
        _approve_pending(team=team, integration=locked.integration, acting_user=acting_user)
    install_request.refresh_from_db()
    return installation


def install_request_deny(
    *, install_request: InstallRequest, acting_user: AbstractBaseUser, reason: str,
    source_ip: str | None = None,
) -> InstallRequest:
    """Deny with a reason (admins of that team only); the requester is told on commit."""
    team = install_request.team
    _require_admin(user=acting_user, team=team)
    reason = (reason or "").strip()
    if not reason:
        raise errors.ReasonRequired(errors.DENY_NEEDS_REASON)
    with transaction.atomic():
        locked = _lock_pending(install_request)
        previous = locked.status
        locked.status = InstallRequest.Status.DENIED
        locked.reason = reason
        locked.decided_by = acting_user
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        audit_event_record(
            action=AuditAction.INSTALL_REQUEST_DENY,
            actor=acting_user,
            target=str(locked),
            team=team,
            source_ip=source_ip,
            metadata={"integration": locked.integration, "request": locked.pk, "reason": reason},
            changes=audit_changes(status=(previous, locked.status)),
        )
        notifications.notify_request_denied(
            install_request=locked, integration_name=locked.get_integration_display(),
            acting_user=acting_user,
        )
    return locked


def install_request_cancel(
    *, install_request: InstallRequest, acting_user: AbstractBaseUser,
    source_ip: str | None = None,
) -> InstallRequest:
    """The requester withdraws their pending request."""
    if install_request.requested_by_id != acting_user.pk:
        raise errors.NotTeamMember(errors.ONLY_REQUESTER_CANCELS)
    with transaction.atomic():
        locked = _lock_pending(install_request)
        locked.status = InstallRequest.Status.CANCELLED
        locked.decided_by = acting_user
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit_event_record(
            action=AuditAction.INSTALL_REQUEST_CANCEL,
            actor=acting_user,
            target=str(locked),
            team=locked.team,
            source_ip=source_ip,
            metadata={"integration": locked.integration, "request": locked.pk},
        )
    return locked


def integration_uninstall_for_team(
    *, team: Team, integration: str, acting_user: AbstractBaseUser,
    source_ip: str | None = None,
) -> int:
    """Disable for the whole team (admins only): revokes every member's account for it.

    Returns how many accounts were revoked. Local credentials are deleted in this transaction;
    provider-side revocation is queued by the revokers on commit.
    """
    entry = integration_entry(integration)
    _require_admin(user=acting_user, team=team)
    with transaction.atomic():
        deleted, _ = Installation.objects.filter(team=team, integration=integration).delete()
        if not deleted:
            raise errors.NotInstalled(errors.NOT_INSTALLED.format(integration=entry.name))
        return _accounts_revoke_recorded(
            team=team, integration=integration, name=entry.name, user=None,
            acting_user=acting_user, source_ip=source_ip,
            reason=RevocationReason.UNINSTALL_FOR_TEAM,
            action=AuditAction.INTEGRATION_UNINSTALL_FOR_TEAM,
        )


def integration_uninstall_for_me(
    *, team: Team, integration: str, acting_user: AbstractBaseUser,
    source_ip: str | None = None,
) -> int:
    """Any member removes the integration for themselves: their own account is revoked."""
    entry = integration_entry(integration)
    if membership_get(user=acting_user, team=team) is None:
        raise errors.NotTeamMember(errors.NOT_A_MEMBER)
    with transaction.atomic():
        return _accounts_revoke_recorded(
            team=team, integration=integration, name=entry.name, user=acting_user,
            acting_user=acting_user, source_ip=source_ip,
            reason=RevocationReason.UNINSTALL_FOR_ME,
            action=AuditAction.INTEGRATION_UNINSTALL_FOR_ME,
        )


def _accounts_revoke_recorded(
    *, team: Team, integration: str, name: str, user: AbstractBaseUser | None,
    acting_user: AbstractBaseUser, source_ip: str | None, reason: str, action: str,
) -> int:
    """The shared end of both uninstalls, inside their transaction: revokes the accounts
    (`user=None`: every member's) and records `action` with how many were revoked."""
    revoked = revoke_accounts(
        team=team, integration=integration, user=user, acting_user=acting_user, reason=reason,
    )
    audit_event_record(
        action=action,
        actor=acting_user,
        target=name,
        team=team,
        source_ip=source_ip,
        metadata={"integration": integration, "revoked_accounts": revoked},
    )
    return revoked


def membership_save(
    *, membership: Membership, acting_user: AbstractBaseUser, source_ip: str | None = None,
) -> Membership:
    """Create or change a membership (team admins of that team, or superusers). A role change
    records the old and the new role; saving an unchanged membership writes no event."""
    if not (acting_user.is_superuser or is_team_admin(user=acting_user, team=membership.team)):
        raise errors.AdminsOnly(errors.ADMINS_ONLY)
    created = membership.pk is None
    with transaction.atomic():
        previous_role = None if created else (
            Membership.objects.select_for_update().filter(pk=membership.pk)
            .values_list("role", flat=True).first()
        )
        membership.save()
        changes = audit_changes(role=(previous_role, membership.role))
        if not created and not changes:
            return membership
        audit_event_record(
            action=AuditAction.MEMBERSHIP_CREATE if created else AuditAction.MEMBERSHIP_CHANGE,
            actor=acting_user,
            target=str(membership.user),
            team=membership.team,
            source_ip=source_ip,
            metadata={"user": membership.user_id, "role": membership.role},
            changes=changes,
        )
    return membership


def membership_delete(
    *, membership: Membership, acting_user: AbstractBaseUser, source_ip: str | None = None,
) -> int:
    """Remove a member from the team (team admins of that team, or superusers); returns how
    many of their accounts were revoked.

    First the member-leaving handlers run (outside the transaction: they may call a provider
    with the member's still valid account, e.g. to move or delete their webhook
    subscriptions); then, in one transaction, the membership goes, every account of the
    member in the team is revoked (reason "member_removed") and the event is written.
    """
    if not (acting_user.is_superuser or is_team_admin(user=acting_user, team=membership.team)):
        raise errors.AdminsOnly(errors.ADMINS_ONLY)
    team, user = membership.team, membership.user
    member_leaving(team=team, user=user, acting_user=acting_user)
    with transaction.atomic():
        revoked = 0
        for integration in CATALOG:
            revoked += revoke_accounts(
                team=team, integration=integration, user=user, acting_user=acting_user,
                reason=RevocationReason.MEMBER_REMOVED,
            )
        audit_event_record(
            action=AuditAction.MEMBERSHIP_DELETE,
            actor=acting_user,
            target=str(user),
            team=team,
            source_ip=source_ip,
            metadata={"user": user.pk, "role": membership.role, "revoked_accounts": revoked},
        )
        membership.delete()
    return revoked


def team_save(*, team: Team, acting_user: AbstractBaseUser, source_ip: str | None = None) -> Team:
    """Create or change a team (superusers only: the plan is billing). Creating is audited
    "team.create"; a change records the old and new name and plan ("team.change"); saving an
    unchanged team writes no event."""
    if not acting_user.is_superuser:
        raise errors.AdminsOnly(errors.ADMINS_ONLY)
    created = team.pk is None
    with transaction.atomic():
        previous = None if created else (
            Team.objects.select_for_update().filter(pk=team.pk).values("name", "plan").first())
        team.save()
        changes = audit_changes(
            name=(previous["name"] if previous else None, team.name),
            plan=(previous["plan"] if previous else None, team.plan),
        )
        if not created and not changes:
            return team
        audit_event_record(
            action=AuditAction.TEAM_CREATE if created else AuditAction.TEAM_CHANGE,
            actor=acting_user, target=team.name, team=team, source_ip=source_ip,
            metadata={"plan": team.plan}, changes=changes,
        )
    return team
