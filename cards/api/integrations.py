"""Integrations for the current team: state, install requests, my connection, the picker."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from approvals.audit_actions import RevocationReason
from approvals.decisions import install_request_submit
from cards import errors
from cards.api.base import ConduitApi, InstallRequestedOutput
from cards.picker import picker_browse
from cards.selectors import integration_name
from tokens.selectors import integration_states

TEAM_PARAMETER = OpenApiParameter(
    "team", OpenApiTypes.INT, description="One of your teams (default: your first, by name)."
)


class IntegrationListApi(ConduitApi):
    class OutputSerializer(serializers.Serializer):
        key = serializers.CharField()
        name = serializers.CharField()
        available = serializers.BooleanField(help_text="The team's plan includes it.")
        installed = serializers.BooleanField()
        connected = serializers.BooleanField(help_text="I have a usable account.")
        account_status = serializers.CharField(allow_null=True)
        request_status = serializers.CharField(allow_null=True,
                                               help_text="My latest install request's status.")
        connect_url = serializers.CharField()

    @extend_schema(parameters=[TEAM_PARAMETER], responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        team = self.current_team(request)
        states = integration_states(user=request.user, team=team)
        return Response(self.OutputSerializer(states, many=True).data)


class InstallRequestCreateApi(ConduitApi):
    """A member asks for the integration (202 with the pending request, idempotent); a team
    admin installs it at once (201)."""

    class OutputSerializer(serializers.Serializer):
        integration = serializers.CharField()
        installed = serializers.BooleanField()

    @extend_schema(
        parameters=[TEAM_PARAMETER], request=None,
        responses={201: OutputSerializer, 202: InstallRequestedOutput},
    )
    def post(self, request: Request, key: str) -> Response:
        integration_name(key)
        team = self.current_team(request)
        decision = install_request_submit(user=request.user, team=team, integration=key,
                                          source_ip=self.source_ip(request))
        if decision.install_request is None:
            body = self.OutputSerializer({"integration": key, "installed": True}).data
            return Response(body, status=status.HTTP_201_CREATED)
        message = errors.INSTALL_REQUESTED.format(integration=decision.entry.name,
                                                  team=team.name)
        body = InstallRequestedOutput({"message": message,
                                       "install_request": decision.install_request})
        return Response(body.data, status=status.HTTP_202_ACCEPTED)


class ConnectionDeleteApi(ConduitApi):
    """Disconnect me: the tool's token is revoked and the local credentials deleted."""

    @extend_schema(parameters=[TEAM_PARAMETER], responses={204: None})
    def delete(self, request: Request, key: str) -> Response:
        from tokens.selectors import account_get
        from tokens.services import account_revoke

        name = integration_name(key)
        team = self.current_team(request)
        account = account_get(user=request.user, team=team, integration=key)
        if account is None:
            raise errors.NotConnected(errors.NOT_CONNECTED.format(integration=name))
        account_revoke(account=account, acting_user=request.user, reason=RevocationReason.DISCONNECT,
                       source_ip=self.source_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PickerApi(ConduitApi):
    class InputSerializer(serializers.Serializer):
        workspace = serializers.CharField(required=False, allow_blank=True, max_length=100)
        project = serializers.CharField(required=False, allow_blank=True, max_length=100)
        q = serializers.CharField(required=False, allow_blank=True, max_length=200)
        cursor = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    class OutputSerializer(serializers.Serializer):
        class ItemSerializer(serializers.Serializer):
            id = serializers.CharField(help_text="Workspace, project or task id in the tool.")
            name = serializers.CharField(allow_blank=True)
            url = serializers.CharField(required=False, allow_blank=True)
            status = serializers.CharField(required=False, allow_blank=True)
            assignee_name = serializers.CharField(required=False, allow_blank=True)

        level = serializers.ChoiceField(choices=["workspaces", "projects", "tasks"])
        items = ItemSerializer(many=True)
        next_cursor = serializers.CharField(allow_null=True)

    @extend_schema(
        parameters=[TEAM_PARAMETER, InputSerializer],
        responses=OutputSerializer,
    )
    def get(self, request: Request, key: str) -> Response:
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        team = self.current_team(request)
        page = picker_browse(
            user=request.user, team=team, integration=key,
            workspace=query.validated_data.get("workspace", ""),
            project=query.validated_data.get("project", ""),
            query=query.validated_data.get("q", ""),
            cursor=query.validated_data.get("cursor") or None,
        )
        return Response(self.OutputSerializer(page).data)
