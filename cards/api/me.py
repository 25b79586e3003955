"""GET /api/v1/me: the user, their teams and roles."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from approvals.selectors import is_support
from cards.api.base import ConduitApi
from cards.selectors import memberships_of


class MeApi(ConduitApi):
    class OutputSerializer(serializers.Serializer):
        class TeamSerializer(serializers.Serializer):
            id = serializers.IntegerField()
            name = serializers.CharField()
            plan = serializers.CharField()
            role = serializers.CharField()

        id = serializers.IntegerField()
        username = serializers.CharField()
        email = serializers.CharField(allow_blank=True)
        is_support = serializers.BooleanField()
        teams = TeamSerializer(many=True)

    @extend_schema(responses=OutputSerializer, operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        user = request.user
        teams = [
            {"id": membership.team.pk, "name": membership.team.name,
             "plan": membership.team.plan, "role": membership.role}
            for membership in memberships_of(user)
        ]
        body = {"id": user.pk, "username": user.get_username(), "email": user.email or "",
                "is_support": is_support(user), "teams": teams}
        return Response(self.OutputSerializer(body).data)
