"""Output shapes shared by several API views."""

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
