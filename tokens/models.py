"""Connected accounts: one user's credentials for one integration in one team."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from config.encryption.fields import EncryptedTextField
from integrations.providers import provider_name


class ConnectedAccountQuerySet(models.QuerySet):
    def update(self, **kwargs):
        """A bulk update drops the kept accounts (tokens.account_cache), as a save does, unless
        it writes only columns no caller decides on."""
        from tokens import account_cache

        rows = super().update(**kwargs)
        if rows:
            account_cache.rows_updated(kwargs)
        return rows


class ConnectedAccount(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
        REVOKED = "revoked", "Revoked"

    # A UUID known before the first save: each ciphertext is bound to its row's primary key.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connected_accounts"
    )
    team = models.ForeignKey(
        "approvals.Team", on_delete=models.CASCADE, related_name="connected_accounts"
    )
    # Any enabled provider's key: validated by services against the registry, not by choices,
    # so a new provider needs no migration here.
    integration = models.CharField(max_length=30)
    provider_account_id = models.CharField("account id at the provider", max_length=255,
                                           blank=True)
    provider_account_name = models.CharField("connected as", max_length=255, blank=True)
    provider_account_email = models.CharField("e-mail at the provider", max_length=255,
                                              blank=True)
    access_token = EncryptedTextField(null=True)
    refresh_token = EncryptedTextField(null=True)
    token_secret = EncryptedTextField(null=True)  # Jira OAuth 1.0a token secret
    expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    # A revoked account stays listed (when, by whom, why) with every credential deleted.
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    revoked_reason = models.CharField("why revoked", max_length=30, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    # Set, and committed, before each refresh call; cleared when an answer is read. Still set
    # means an attempt whose answer was lost (a timeout, a killed worker): the provider may
    # have rotated the refresh token, so an invalid_grant is re-checked before marking.
    refresh_attempt_started_at = models.DateTimeField(null=True, blank=True)
    # When the sweep last queued a refresh of this account: the next sweeps skip it while the
    # message waits in the queue (TOKEN_REFRESH_REQUEUE_SECONDS), so a backlog does not multiply.
    refresh_queued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConnectedAccountQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "team", "integration"], name="connected_account_unique"
            )
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_integration_display()} account of {self.user} in {self.team}"

    def get_integration_display(self) -> str:
        """The provider's display name (what `choices` gave before keys left the DB)."""
        return provider_name(self.integration)

    @property
    def has_credentials(self) -> bool:
        """Whether an access token is stored, without decrypting it (lists ask this per row)."""
        if "access_token" not in self.__dict__:
            return self.access_token is not None  # deferred: load it
        return self.__dict__["access_token"] not in (None, "")


class ProviderRevocation(models.Model):
    """A token still to be revoked at the provider, after its account's credentials were
    deleted.

    Revocation deletes the account's credentials at once; the provider call happens in a task
    that receives this row's id (never the token). The row holds the one token the call needs,
    encrypted like the account's, and is deleted when the provider confirms or after
    TOKEN_REVOCATION_MAX_ATTEMPTS failures (both are audit events).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Any enabled provider's key: validated by services against the registry, not by choices,
    # so a new provider needs no migration here.
    integration = models.CharField(max_length=30)
    team = models.ForeignKey(
        "approvals.Team", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    account_label = models.CharField(max_length=255, blank=True)  # for audit events only
    token = EncryptedTextField(null=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)
    next_attempt_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["next_attempt_at"])]
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Revocation of {self.account_label or 'an account'} at {self.integration}"

    def get_integration_display(self) -> str:
        """The provider's display name (what `choices` gave before keys left the DB)."""
        return provider_name(self.integration)
