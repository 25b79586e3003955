"""Output shapes shared by several API views."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cards.linked_tickets import ticket_link_json, ticket_links_for_card
from cards.models import CardWidget, TicketLink

# The target the contract's `jira_issues` field and `/cards/{id}/jira-issue` endpoint name
# (PRODUCT.md's REST contract); every other target is reached by its key.
JIRA_ISSUES_TARGET = "jira_server"


class CardOutputSerializer(serializers.ModelSerializer):
    """A card's stored data and how fresh it is."""

    class Meta:
        model = CardWidget
        fields = ["id", "board", "provider", "external_id", "url", "title", "description",
                  "assignee_name", "assignee_email", "status", "priority", "synced_at",
                  "sync_error", "created_at"]
        read_only_fields = fields


class LinkedTicketSerializer(serializers.Serializer):
    """A card's ticket and the ticket created from it in another tool
    (cards.linked_tickets.ticket_link_json)."""

    source_provider = serializers.CharField()
    source_id = serializers.CharField()
    target_provider = serializers.CharField()
    target_name = serializers.CharField()
    key = serializers.CharField(help_text="The linked ticket as its tool names it")
    url = serializers.CharField()
    created_at = serializers.CharField()


class JiraIssueLinkSerializer(LinkedTicketSerializer):
    """The contract's Jira issue link (`jira_issues`, `/jira-issue`): the card's task id and
    the Jira issue key, besides the generic fields."""

    asana_task_gid = serializers.CharField()
    jira_issue_key = serializers.CharField()


def jira_issue_link_json(link: TicketLink) -> dict[str, Any]:
    return {**ticket_link_json(link), "asana_task_gid": link.source_external_id,
            "jira_issue_key": link.target_external_id}


class CardWithLinksOutputSerializer(CardOutputSerializer):
    """One card, with the tickets created from it in other tools (`linked_tickets`) and, as
    the contract names them, those in Jira Server (`jira_issues`)."""

    jira_issues = serializers.SerializerMethodField()
    linked_tickets = serializers.SerializerMethodField()

    class Meta(CardOutputSerializer.Meta):
        fields = [*CardOutputSerializer.Meta.fields, "jira_issues", "linked_tickets"]
        read_only_fields = fields

    def _links(self, card: CardWidget) -> list[TicketLink]:
        cache = self.__dict__.setdefault("_links_of", {})
        if card.pk not in cache:
            cache[card.pk] = ticket_links_for_card(card=card)
        return cache[card.pk]

    @extend_schema_field(JiraIssueLinkSerializer(many=True))
    def get_jira_issues(self, card: CardWidget) -> list[dict]:
        return [jira_issue_link_json(link) for link in self._links(card)
                if link.target_provider == JIRA_ISSUES_TARGET]

    @extend_schema_field(LinkedTicketSerializer(many=True))
    def get_linked_tickets(self, card: CardWidget) -> list[dict]:
        return [ticket_link_json(link) for link in self._links(card)]
