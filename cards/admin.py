"""Console pages of cards' data: the linked tickets of each team, read-only (they are made
from a card, by cards.linked_tickets)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from approvals.admin import TeamScopedAdmin
from cards.models import TicketLink
from integrations.providers import provider_name


@admin.register(TicketLink)
class TicketLinkAdmin(TeamScopedAdmin):
    list_display = ["source_ticket", "target_ticket", "team", "created_by", "created_at"]
    list_select_related = ["team", "created_by"]
    list_filter = ["team", "source_provider", "target_provider"]
    provider_fields = ("source_provider", "target_provider")
    search_fields = ["source_external_id", "target_external_id"]
    readonly_fields = ["team", "source_provider_name", "source_id", "target_provider_name", "target_site",
                       "target_key", "target_internal_id", "target_link", "created_by",
                       "created_at"]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="source ticket", ordering="source_external_id")
    def source_ticket(self, obj: TicketLink) -> str:
        return f"{provider_name(obj.source_provider)} {obj.source_external_id}"

    @admin.display(description="target ticket", ordering="target_external_id")
    def target_ticket(self, obj: TicketLink) -> str:
        return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">{} {} ↗</a>',
                           obj.target_url, provider_name(obj.target_provider),
                           obj.target_external_id)

    @admin.display(description="Source provider")
    def source_provider_name(self, obj: TicketLink) -> str:
        return provider_name(obj.source_provider)

    @admin.display(description="Source ID")
    def source_id(self, obj: TicketLink) -> str:
        return obj.source_external_id

    @admin.display(description="Target provider")
    def target_provider_name(self, obj: TicketLink) -> str:
        return provider_name(obj.target_provider)

    @admin.display(description="Target key")
    def target_key(self, obj: TicketLink) -> str:
        return obj.target_external_id

    @admin.display(description="Target URL")
    def target_link(self, obj: TicketLink) -> str:
        return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">{} ↗</a>',
                           obj.target_url, obj.target_url)
