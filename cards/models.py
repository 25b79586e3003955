"""Boards, the card widgets on them, link previews (unfurls), linked tickets and provider webhook
subscriptions.

A card stores only the unified ticket's stored fields (PRODUCT.md "Cards: what is stored") plus
sync metadata; live details are fetched with the viewer's token and never stored.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from config.encryption.fields import EncryptedTextField
from integrations.providers import provider_name

TITLE_MAX_LENGTH = 1024
URL_MAX_LENGTH = 2000


class Board(models.Model):
    team = models.ForeignKey("approvals.Team", on_delete=models.CASCADE, related_name="boards")
    name = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class CardWidget(models.Model):
    """One ticket on one board: the stored fields of the unified ticket and how fresh they are."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="cards")
    # Any enabled provider's key: validated by services against the registry, not by choices,
    # so a new provider needs no migration here.
    provider = models.CharField(max_length=30)
    external_id = models.CharField(max_length=255)
    url = models.URLField(max_length=URL_MAX_LENGTH)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(blank=True)
    assignee_name = models.CharField(max_length=255, blank=True)
    assignee_email = models.CharField(max_length=254, blank=True)
    status = models.CharField(max_length=255, blank=True)
    priority = models.CharField(max_length=255, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    sync_error = models.TextField(blank=True)
    # Both have database defaults so that an insert answers them (RETURNING, with the id): an
    # import's upsert of a card that existed learns when and by whom it was first imported,
    # which the upsert keeps, with no second query (bench P3).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", db_default=None,
    )
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["board", "provider", "external_id"], name="card_unique_ticket_per_board"
            )
        ]
        # Webhooks find every card of a ticket, whatever the board.
        indexes = [models.Index(fields=["provider", "external_id"])]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title

    def get_provider_display(self) -> str:
        """The provider's display name (what `choices` gave before keys left the DB)."""
        return provider_name(self.provider)


class LinkPreview(models.Model):
    """A pasted link on a board: its title in clear, the link itself encrypted at rest."""

    # A UUID known before the first save: the reference's ciphertext is bound to the row's key.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="link_previews")
    # Any enabled provider's key: validated by services against the registry, not by choices,
    # so a new provider needs no migration here.
    provider = models.CharField(max_length=30)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    reference = EncryptedTextField(null=True)  # the pasted URL
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.title

    def get_provider_display(self) -> str:
        """The provider's display name (what `choices` gave before keys left the DB)."""
        return provider_name(self.provider)


class TicketLink(models.Model):
    """A ticket created in one tool from a card's ticket in another (a linked ticket): the
    source ticket, the target ticket, who linked them and when.

    The target is keyed on its tool instance too (`target_site`: Jira's normalised base URL,
    "" for a tool with one global site), not on a connection row: reconnecting the same server
    finds every link again, while a team that moves to another server does not see the old
    server's keys as the new one's. Provider keys are validated by cards.linked_tickets against
    the registry, not by `choices`, so a new provider needs no migration here.
    """

    team = models.ForeignKey("approvals.Team", on_delete=models.CASCADE,
                             related_name="ticket_links")
    source_provider = models.CharField(max_length=30)
    source_external_id = models.CharField(max_length=255)
    target_provider = models.CharField(max_length=30)
    target_site = models.CharField(max_length=500, blank=True)
    target_external_id = models.CharField(max_length=255)  # what people see: Jira's issue key
    target_internal_id = models.CharField(max_length=64, blank=True)  # Jira's numeric issue id
    target_url = models.URLField(max_length=URL_MAX_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    # A default rather than auto_now_add: the migration from JiraIssueLink keeps each row's
    # own creation time (auto_now_add would overwrite it on insert).
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "source_provider", "source_external_id", "target_provider",
                        "target_site", "target_external_id"],
                name="ticket_link_unique",
            )
        ]
        indexes = [models.Index(fields=["team", "source_provider", "source_external_id"],
                                name="ticket_link_source")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return (f"{provider_name(self.source_provider)} {self.source_external_id} -> "
                f"{provider_name(self.target_provider)} {self.target_external_id}")


class WebhookSubscription(models.Model):
    """A provider webhook watching one container (an Asana project) for one team's cards: the
    route of `/webhooks/<integration>/<id>`, cards' one webhook path.

    The secret arrives in the provider's handshake (or with the subscription) and is kept
    encrypted; deliveries are verified with it, and changed tickets are fetched with
    `subscribed_by`'s account. A webhook the provider's console registers itself (Jira
    Server's, one per server: integrations.providers.webhook_routes) has no `subscribed_by`:
    its deliveries carry their tickets whole and belong to the team, not to a member.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the handshake"
        ACTIVE = "active", "Active"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(
        "approvals.Team", on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    # Any enabled provider's key: validated by services against the registry, not by choices,
    # so a new provider needs no migration here.
    integration = models.CharField(max_length=30)
    container_id = models.CharField(max_length=255)
    subscribed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True,
        blank=True,
    )
    provider_webhook_id = models.CharField(max_length=255, blank=True)
    secret = EncryptedTextField(null=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    last_error = models.TextField(blank=True)
    handshake_started_at = models.DateTimeField(null=True, blank=True)
    last_delivery_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "integration", "container_id"],
                name="webhook_subscription_unique_container",
            )
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_integration_display()} webhook on {self.container_id} for {self.team}"

    def get_integration_display(self) -> str:
        """The provider's display name (what `choices` gave before keys left the DB)."""
        return provider_name(self.integration)
