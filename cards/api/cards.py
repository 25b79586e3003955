"""One card: read the stored data, write through to the tool, delete; live details; Jira link."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from cards import errors, services
from cards.api.base import ConduitApi
from cards.api.serializers import CardOutputSerializer
from cards.models import TITLE_MAX_LENGTH
from cards.selectors import card_get


class CardApi(ConduitApi):
    """GET: the stored card. PATCH: the tool first, then the card; a refusal answers the tool's
    status in the error envelope with `error.detail.submitted` and leaves the card as it was.
    DELETE: removes the card (the task stays in the tool)."""

    class UpdateInputSerializer(serializers.Serializer):
        title = serializers.CharField(required=False, max_length=TITLE_MAX_LENGTH)
        description = serializers.CharField(required=False, allow_blank=True, max_length=65536)
        completed = serializers.BooleanField(required=False)

    @extend_schema(responses=CardOutputSerializer, operation_id="cards_retrieve")
    def get(self, request: Request, card_id: int) -> Response:
        card = card_get(user=request.user, card_id=card_id)
        return Response(CardOutputSerializer(card).data)

    @extend_schema(request=UpdateInputSerializer, responses=CardOutputSerializer,
                   operation_id="cards_partial_update")
    def patch(self, request: Request, card_id: int) -> Response:
        card = card_get(user=request.user, card_id=card_id)
        data = self.UpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        card = services.card_update(card=card, acting_user=request.user, **data.validated_data)
        return Response(CardOutputSerializer(card).data)

    @extend_schema(responses={204: None}, operation_id="cards_destroy")
    def delete(self, request: Request, card_id: int) -> Response:
        card = card_get(user=request.user, card_id=card_id)
        services.card_delete(card=card, acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CardDetailsApi(ConduitApi):
    """The live ticket read with the viewer's own token: the stored fields are refreshed from
    it; details (tags, due date, attachments...) are returned, never stored."""

    class OutputSerializer(serializers.Serializer):
        card = CardOutputSerializer()
        details = serializers.DictField(help_text="Live-only fields, as the tool gave them.")

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, card_id: int) -> Response:
        card = card_get(user=request.user, card_id=card_id)
        result = services.card_details(card=card, viewer=request.user)
        return Response(self.OutputSerializer(result).data)


class JiraIssueCreateApi(ConduitApi):
    """Create a Jira issue linked to an Asana card. Not implemented yet: answers 501."""

    @extend_schema(request=None, responses={201: CardOutputSerializer})
    def post(self, request: Request, card_id: int) -> Response:
        card = card_get(user=request.user, card_id=card_id)
        if card.provider != "asana":
            raise errors.NotSupported(errors.JIRA_ISSUE_NEEDS_ASANA_CARD)
        raise errors.NotImplementedYet(errors.JIRA_ISSUE_NOT_READY)
