"""Console pages of cards' data: the linked tickets of each team, read-only (they are made
from a card, by cards.linked_tickets)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from approvals.admin import TeamScopedAdmin
from cards.models import TicketLink


@admin.register(TicketLink)
class TicketLinkAdmin(TeamScopedAdmin):
    list_display = ["source_external_id", "source_provider", "target_external_id",
                    "target_provider", "team", "target_site", "created_by", "created_at"]
    list_filter = ["team", "source_provider", "target_provider"]
    search_fields = ["source_external_id", "target_external_id"]
    readonly_fields = ["team", "source_provider", "source_external_id", "target_provider",
                       "target_site", "target_external_id", "target_internal_id", "target_url",
                       "created_by", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
