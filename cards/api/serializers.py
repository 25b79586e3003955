"""Output shapes shared by several API views."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cards.models import CardWidget


class CardOutputSerializer(serializers.ModelSerializer):
    """A card's stored data and how fresh it is."""

    class Meta:
        model = CardWidget
        fields = ["id", "board", "provider", "external_id", "url", "title", "description",
                  "assignee_name", "assignee_email", "status", "priority", "synced_at",
                  "sync_error", "created_at"]
        read_only_fields = fields


class JiraIssueLinkSerializer(serializers.Serializer):
    """An Asana task <-> Jira issue link (integrations.jira_server.selectors.issue_link_json)."""

    asana_task_gid = serializers.CharField()
    jira_issue_key = serializers.CharField()
    url = serializers.CharField()
    created_at = serializers.CharField()


class CardWithLinksOutputSerializer(CardOutputSerializer):
    """One card, with the Jira issues created from it (Asana cards; empty otherwise)."""

    jira_issues = serializers.SerializerMethodField()

    class Meta(CardOutputSerializer.Meta):
        fields = [*CardOutputSerializer.Meta.fields, "jira_issues"]
        read_only_fields = fields

    @extend_schema_field(JiraIssueLinkSerializer(many=True))
    def get_jira_issues(self, card: CardWidget) -> list[dict]:
        from integrations.jira_server.selectors import issue_link_json, issue_links_for_tasks

        if card.provider != "asana":
            return []
        links = issue_links_for_tasks(team=card.board.team, task_gids=[card.external_id])
        return [issue_link_json(link) for link in links.get(card.external_id, [])]
