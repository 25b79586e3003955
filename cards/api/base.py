"""What every API v1 view shares: authentication, scope checks, errors, the current team.

Session users (browser, CSRF) pass on their session; bearer tokens issued by Conduit need the
`read` scope for GET and `write` for everything else (django-oauth-toolkit's
TokenHasReadWriteScope). Errors are the envelope of config.errors; a provider's Retry-After is
passed on; a member's use of an integration the team lacks answers 202 with the install request.
"""

from __future__ import annotations

from typing import Any

from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenHasReadWriteScope
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.audit import client_ip
from approvals.models import InstallRequest, Team
from cards import errors
from cards.api.schema import ConduitAutoSchema
from cards.selectors import team_for_user


class BearerTokenHasReadWriteScope(BasePermission):
    """Bearer tokens need `read` (safe methods) or `write`; session users are not token-scoped."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if isinstance(request.successful_authenticator, OAuth2Authentication):
            return TokenHasReadWriteScope().has_permission(request, view)
        return True


class InstallRequestOutput(serializers.ModelSerializer):
    class Meta:
        model = InstallRequest
        fields = ["id", "integration", "status", "created_at"]
        read_only_fields = fields


class InstallRequestedOutput(serializers.Serializer):
    """The 202 answer: the integration is not installed, a request went to the team's admins."""

    message = serializers.CharField()
    install_request = InstallRequestOutput()


class ConduitApiMixin:
    permission_classes = [IsAuthenticated, BearerTokenHasReadWriteScope]
    schema = ConduitAutoSchema()

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, errors.InstallRequested):
            body = InstallRequestedOutput(
                {"message": exc.message, "install_request": exc.install_request}
            ).data
            return Response(body, status=status.HTTP_202_ACCEPTED)
        response = super().handle_exception(exc)  # type: ignore[misc]
        # Errors are JSON whatever the view's own format (the schema's YAML, for instance).
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(exc, errors.ProviderRefused) and retry_after is not None:
            response["Retry-After"] = str(int(retry_after))
        return response

    def current_team(self, request: Request) -> Team:
        """`?team=<id>` when given (one of the user's teams, else 404), else their first team."""
        return team_for_user(user=request.user, team_id=request.query_params.get("team"))

    def source_ip(self, request: Request) -> str | None:
        return client_ip(request._request)

    def webhook_base_url(self, request: Request) -> str:
        return request.build_absolute_uri("/")


class ConduitApi(ConduitApiMixin, APIView):
    """Base of the API v1 views."""


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
