"""Boards of my team, the cards on a board (list, import, create) and link previews."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from cards import services
from cards.api.base import ConduitApi, InstallRequestedOutput, validated
from cards.api.card_list import (
    CardListOutputSerializer,
    CardListQuerySerializer,
    card_list_json,
    dates_as_utc_text,
)
from cards.api.integrations import TEAM_PARAMETER
from cards.api.serializers import CardOutputSerializer
from cards.conf import cards_settings
from cards.models import TITLE_MAX_LENGTH, URL_MAX_LENGTH, Board, LinkPreview
from cards.selectors import board_get, boards_of_team, card_page_of_board
from integrations.providers import is_provider, provider_keys


class BoardOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Board
        fields = ["id", "team", "name", "created_at"]
        read_only_fields = fields


class BoardListCreateApi(ConduitApi):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)

    @extend_schema(parameters=[TEAM_PARAMETER], responses=BoardOutputSerializer(many=True),
                   operation_id="boards_list")
    def get(self, request: Request) -> Response:
        boards = boards_of_team(team=self.current_team(request))
        return Response(BoardOutputSerializer(boards, many=True).data)

    @extend_schema(parameters=[TEAM_PARAMETER], request=InputSerializer,
                   responses={201: BoardOutputSerializer}, operation_id="boards_create")
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        board = services.board_create(team=self.current_team(request),
                                      name=data.validated_data["name"], acting_user=request.user)
        return Response(BoardOutputSerializer(board).data, status=status.HTTP_201_CREATED)


class BoardCardsApi(ConduitApi):
    """GET: the board's cards, stored data only, a page at a time (`cursor`, `page_size`): the
    same queries whatever the page size or the board's size. POST: import
    (`url`, or `integration` + `external_ids` [+ `container`]) or create (`integration` +
    `create`)."""

    class ImportInputSerializer(serializers.Serializer):
        class CreateSerializer(serializers.Serializer):
            container = serializers.CharField(max_length=255,
                                              help_text="Project gid (Asana) or key (Jira).")
            title = serializers.CharField(max_length=TITLE_MAX_LENGTH)
            description = serializers.CharField(required=False, allow_blank=True, default="",
                                                max_length=65536)
            extra = serializers.DictField(required=False, default=dict,
                                          help_text="Tool-specific fields (Jira issue type...).")

        url = serializers.CharField(required=False, max_length=URL_MAX_LENGTH,
                                    help_text="A task link to import.")
        integration = serializers.CharField(required=False, max_length=30,
                                            help_text="asana or jira_server")
        external_ids = serializers.ListField(
            child=serializers.CharField(max_length=255), required=False, allow_empty=False,
            max_length=cards_settings.CARDS_IMPORT_MAX,
        )
        container = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=255,
            help_text="The project the external_ids are in: they are read from its task list.",
        )
        create = CreateSerializer(required=False)

        def validate_integration(self, value: str) -> str:
            if not is_provider(value):
                raise serializers.ValidationError(f"One of: {', '.join(provider_keys())}.")
            return value

        def validate(self, attrs: dict) -> dict:
            modes = [name for name in ("url", "external_ids", "create") if name in attrs]
            if len(modes) != 1:
                raise serializers.ValidationError(
                    "Give exactly one of url, external_ids (with integration) or create (with "
                    "integration)."
                )
            if modes[0] != "url" and not attrs.get("integration"):
                raise serializers.ValidationError({"integration": "This field is required."})
            return attrs

    class ImportOutputSerializer(serializers.Serializer):
        cards = CardOutputSerializer(many=True)
        missing = serializers.ListField(
            child=serializers.CharField(),
            help_text="Requested ids the tool did not return (not found, or no access).",
        )

    @extend_schema(parameters=[CardListQuerySerializer], responses=CardListOutputSerializer,
                   operation_id="boards_cards_list")
    def get(self, request: Request, board_id: int) -> Response:
        query = validated(CardListQuerySerializer, request.query_params)
        page = card_page_of_board(
            user=request.user, board_id=board_id, after=query.get("cursor"),
            size=query.get("page_size") or cards_settings.CARDS_LIST_PAGE_SIZE,
            dates_as_utc_text=dates_as_utc_text(),
        )
        return Response(card_list_json(page))

    @extend_schema(
        request=ImportInputSerializer,
        responses={201: ImportOutputSerializer, 202: InstallRequestedOutput},
        operation_id="boards_cards_create",
    )
    def post(self, request: Request, board_id: int) -> Response:
        board = board_get(user=request.user, board_id=board_id)
        serializer = self.ImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        common = {"board": board, "acting_user": request.user,
                  "source_ip": self.source_ip(request),
                  "webhook_base_url": self.webhook_base_url(request)}
        if "url" in data:
            result = services.ImportResult(
                cards=[services.card_import_from_url(url=data["url"], **common)]
            )
        elif "external_ids" in data:
            result = services.cards_import(
                integration=data["integration"], external_ids=data["external_ids"],
                container_id=data["container"], **common,
            )
        else:
            create = data["create"]
            card = services.card_create(
                integration=data["integration"], container_id=create["container"],
                title=create["title"], description=create["description"],
                extra=create["extra"], **common,
            )
            result = services.ImportResult(cards=[card])
        body = self.ImportOutputSerializer({"cards": result.cards, "missing": result.missing})
        return Response(body.data, status=status.HTTP_201_CREATED)


class UnfurlCreateApi(ConduitApi):
    class InputSerializer(serializers.Serializer):
        url = serializers.CharField(max_length=URL_MAX_LENGTH)

    class OutputSerializer(serializers.ModelSerializer):
        url = serializers.CharField(source="reference")

        class Meta:
            model = LinkPreview
            fields = ["id", "board", "provider", "title", "url", "created_at"]
            read_only_fields = fields

    @extend_schema(request=InputSerializer,
                   responses={201: OutputSerializer, 202: InstallRequestedOutput})
    def post(self, request: Request, board_id: int) -> Response:
        board = board_get(user=request.user, board_id=board_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preview = services.unfurl(board=board, url=data.validated_data["url"],
                                  acting_user=request.user, source_ip=self.source_ip(request))
        return Response(self.OutputSerializer(preview).data, status=status.HTTP_201_CREATED)
