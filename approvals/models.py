"""Teams, memberships, installations, install requests and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from approvals.audit_actions import audit_action_label
from approvals.catalog import Plan
from integrations.providers import provider_name


class Team(models.Model):
    name = models.CharField(max_length=200)
    plan = models.CharField(max_length=20, choices=Plan.choices, default=Plan.FREE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Team admin"
        MEMBER = "member", "Member"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="membership_unique_user_team")
        ]
        ordering = ["team__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.get_role_display()})"


class Installation(models.Model):
    """An integration installed for a team; deleted when uninstalled for the team."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="installations")
    # Any enabled provider's key: validated by services against the registry, not by choices,
    # so a new provider needs no migration here.
    integration = models.CharField(max_length=30)
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    installed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "integration"], name="installation_unique_team_integration"
            )
        ]
        ordering = ["team__name", "integration"]

    def __str__(self) -> str:
        return f"{self.get_integration_display()} for {self.team}"

    def get_integration_display(self) -> str:
        """The provider's display name (what `choices` gave before keys left the DB)."""
        return provider_name(self.integration)


class InstallRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        CANCELLED = "cancelled", "Cancelled"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="install_requests")
    # Any enabled provider's key: validated by services against the registry, not by choices,
    # so a new provider needs no migration here.
    integration = models.CharField(max_length=30)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="install_requests"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField("requested at", auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "integration", "requested_by"],
                condition=Q(status="pending"),
                name="install_request_one_pending_per_member",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False),
                name="install_request_decided_has_time",
            ),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_integration_display()} requested by {self.requested_by} for {self.team}"

    def get_integration_display(self) -> str:
        """The provider's display name (what `choices` gave before keys left the DB)."""
        return provider_name(self.integration)


class AuditEvent(models.Model):
    """Who did what, to what, from where. Metadata never holds a secret."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    actor_label = models.CharField("actor", max_length=150, blank=True)
    # An AuditAction or a provider manifest's action, checked by audit_event_record against
    # approvals.audit_actions.audit_actions(), not by choices: a provider needs no migration.
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=255, blank=True)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    source_ip = models.GenericIPAddressField("source IP", null=True, blank=True)
    created_at = models.DateTimeField("when", auto_now_add=True, db_index=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_label or 'system'}"

    def get_action_display(self) -> str:
        """The action's label (what `choices` gave before providers declared their own)."""
        return audit_action_label(self.action)


class PersonalSettings(models.Model):
    """One person's own settings. A blank time zone means "the browser's"."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_settings"
    )
    time_zone = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "personal settings"
        verbose_name_plural = "personal settings"

    def __str__(self) -> str:
        return f"Settings of {self.user}"
