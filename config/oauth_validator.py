"""Conduit's OAuth2 validator for django-oauth-toolkit (OAUTH2_PROVIDER's OAUTH2_VALIDATOR_CLASS).

PostgreSQL cannot hold a NUL byte in text, and psycopg raises DataError (a 500) while building
any query that carries one. No client id, authorization code or token Conduit issues contains
one, so such a value is "no such client / grant / token" before a query is built: /o/token/
answers 400 invalid_client or invalid_grant, /o/authorize/ its error page, never a 500.

The API's bearer lookup goes through config.bearer_cache: a burst of calls with one token reads
it from the database once.
"""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from config import bearer_cache


def _unstorable(*values: object) -> bool:
    """True when any value is text that PostgreSQL could never have stored."""
    return any(isinstance(value, str) and "\x00" in value for value in values)


class ConduitOAuth2Validator(OAuth2Validator):
    """DOT's validator, refusing NUL-bearing identifiers instead of querying with them."""

    def _load_application(self, client_id: str, request: Any) -> Any:
        if _unstorable(client_id):
            return None
        return super()._load_application(client_id, request)

    def _load_access_token(self, token: str) -> Any:
        if _unstorable(token):
            return None
        return bearer_cache.access_token_for(token, load=super()._load_access_token)

    def validate_code(self, client_id: str, code: str, client: Any, request: Any,
                      *args: Any, **kwargs: Any) -> bool:
        if _unstorable(client_id, code):
            return False
        return super().validate_code(client_id, code, client, request, *args, **kwargs)

    def validate_refresh_token(self, refresh_token: str, client: Any, request: Any,
                               *args: Any, **kwargs: Any) -> bool:
        if _unstorable(refresh_token):
            return False
        return super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
