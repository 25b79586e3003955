"""Jira Server: each team's registered server (Application Link keys, checks, webhook).

The links between cards and the Jira issues created from them are `cards.TicketLink` rows,
keyed on team + normalised base URL rather than on this row: removing a connection and
registering the same server again (the admin guide's "repeat the connection steps for the same
domain. It will keep existing Jira issues and their relations to Asana tasks") finds every link
again.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from config.encryption.fields import EncryptedTextField


class JiraServerConnection(models.Model):
    """The one Jira Server of a team: base URL, Application Link consumer and RSA key pair."""

    class CheckState(models.TextChoices):
        IDLE = "idle", "Not running"
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Running"

    class Status(models.TextChoices):
        REGISTERED = "registered", "Registered: run the compatibility check"
        INCOMPATIBLE = "incompatible", "Compatibility check failed"
        COMPATIBLE = "compatible", "Compatible: set up the Application Link"
        ACTIVE = "active", "Application Link verified"

    # A UUID known before the first save: the encrypted fields are bound to the primary key.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.OneToOneField(
        "approvals.Team", on_delete=models.CASCADE, related_name="jira_server_connection"
    )
    base_url = models.CharField("base URL", max_length=500)  # normalised by links
    consumer_key = models.CharField(max_length=100, unique=True)
    public_key_pem = models.TextField("public key (PEM)")
    private_key_pem = EncryptedTextField(null=True)
    # Random, per connection, carried in the webhook URL Jira posts to (Jira Server signs nothing).
    webhook_secret = EncryptedTextField(null=True)
    webhook_id = models.CharField(max_length=50, blank=True)
    webhook_registered_at = models.DateTimeField(null=True, blank=True)
    server_version = models.CharField("Jira version", max_length=50, blank=True)
    server_title = models.CharField("Jira's title", max_length=255, blank=True)
    check_results = models.JSONField("check report", default=dict, blank=True)
    # The background check (integrations.jira_server.tasks): its state and when it was asked
    # for; while it runs, check_results holds the items finished so far.
    check_state = models.CharField(max_length=10, choices=CheckState.choices,
                                   default=CheckState.IDLE)
    check_requested_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REGISTERED)
    checked_at = models.DateTimeField("last checked at", null=True, blank=True)
    applink_verified_at = models.DateTimeField("Application Link verified at", null=True,
                                               blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team__name"]
        verbose_name = "Jira Server connection"

    def __str__(self) -> str:
        return f"Jira Server {self.base_url} for {self.team}"
