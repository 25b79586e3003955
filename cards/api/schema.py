"""OpenAPI generation (drf-spectacular): every operation documents the error envelope.

The API's errors all have one shape (config.errors), so each operation lists the statuses it can
answer with that shape, besides its own success responses.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

ERROR_STATUSES = {
    "400": "The request is not valid (error.detail says which field).",
    "401": "Not authenticated: log in, or send a bearer token.",
    "402": "The team's plan does not include this integration.",
    "403": "Not allowed (role, token scope, or the tool refused).",
    "404": "Not found among your teams (or gone from the tool).",
    "405": "Method not allowed.",
    "406": "Not acceptable: this API answers JSON.",
    "409": "Conflict: connect your account first (error.detail.connect_url), or the tool refused.",
    "415": "Unsupported media type: send JSON.",
    "422": "The tool refused the values (error.detail.submitted holds what you sent).",
    "429": "Rate limited, by Conduit or by the tool (Retry-After).",
    "501": "Not implemented yet.",
    "502": "The tool failed or could not be reached.",
    "504": "The tool did not answer in time.",
}


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    detail = serializers.DictField()


class ErrorEnvelopeSerializer(serializers.Serializer):
    error = ErrorSerializer()


class ConduitAutoSchema(AutoSchema):
    def get_serializer_name(self, serializer: serializers.Serializer, direction: str) -> str:
        """Nested serializers (HackSoft's `XApi.OutputSerializer`) named after their API class:
        `MeApi.OutputSerializer` -> `MeOutput`, so two APIs' `Output`s never collide."""
        qualified = type(serializer).__qualname__
        if "." not in qualified:
            return super().get_serializer_name(serializer, direction)
        parts = [part.removesuffix("Serializer").removesuffix("Api")
                 for part in qualified.split(".")]
        return "".join(parts)

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status_code, description in ERROR_STATUSES.items():
            if status_code not in responses:
                body = self._get_response_for_code(ErrorEnvelopeSerializer, status_code)
                body["description"] = description
                responses[status_code] = body
        return responses


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Conduit-issued OAuth 2.0 tokens (authorization code + PKCE at /o/): GET needs `read`,
    every other method `write`."""

    target_class = "cards.api.base.BearerTokenAuthentication"
    name = "oauth2"

    def get_security_requirement(self, auto_schema: AutoSchema) -> dict[str, list[str]]:
        from oauth2_provider.settings import oauth2_settings

        safe = auto_schema.method.upper() in ("GET", "HEAD", "OPTIONS")
        return {self.name: [oauth2_settings.READ_SCOPE if safe else oauth2_settings.WRITE_SCOPE]}

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        from oauth2_provider.settings import oauth2_settings

        return {
            "type": "oauth2",
            "description": "Authorization code with PKCE (S256); tokens in the Authorization "
                           "header only.",
            "flows": {"authorizationCode": {
                "authorizationUrl": "/o/authorize/",
                "tokenUrl": "/o/token/",
                "refreshUrl": "/o/token/",
                "scopes": dict(oauth2_settings.SCOPES),
            }},
        }
