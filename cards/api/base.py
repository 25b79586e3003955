"""What every API v1 view shares: authentication, scope checks, errors, the current team.

Session users (browser, CSRF) pass on their session; bearer tokens issued by Conduit need the
`read` scope for GET and `write` for everything else (django-oauth-toolkit's
TokenHasReadWriteScope). Errors are the envelope of config.errors; a provider's Retry-After is
passed on; a member's use of an integration the team lacks answers 202 with the install request.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenHasReadWriteScope
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication
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


class BearerTokenAuthentication(OAuth2Authentication):
    """Conduit's bearer tokens, read only from the Authorization header (RFC 9700: never from a
    body or a query). A request without one is not looked at, so an anonymous form POST is
    "not authenticated" (401) rather than a parse error of a body nobody should read."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.lower().startswith("bearer "):
            return None
        return super().authenticate(request)


class BearerTokenHasReadWriteScope(BasePermission):
    """Bearer tokens need `read` (safe methods) or `write`; session users are not token-scoped."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if isinstance(request.successful_authenticator, OAuth2Authentication):
            return TokenHasReadWriteScope().has_permission(request, view)
        return True


class InstallRequestOutput(serializers.ModelSerializer):
    # Plain text: the card's `provider` already names the integration enum in the schema.
    integration = serializers.CharField(read_only=True)

    class Meta:
        model = InstallRequest
        fields = ["id", "integration", "status", "created_at"]
        read_only_fields = fields


class InstallRequestedOutput(serializers.Serializer):
    """The 202 answer: the integration is not installed, a request went to the team's admins."""

    message = serializers.CharField()
    install_request = InstallRequestOutput()


class ConduitApiMixin:
    authentication_classes = [BearerTokenAuthentication, SessionAuthentication]
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


NO_SUCH_ENDPOINT = "There is no such endpoint in the API (or the id in the path is malformed)."


@extend_schema(exclude=True)
class EndpointNotFoundApi(ConduitApi):
    """Everything under /api/v1/ that no route matches (a malformed id included) answers in the
    error envelope, not with the site's HTML 404 page; anonymous callers still get 401 first."""

    def _not_found(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise exceptions.NotFound(NO_SUCH_ENDPOINT)

    get = post = put = patch = delete = options = head = _not_found
