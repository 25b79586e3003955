"""The Asana provider: the `Provider` protocol over this package's oauth, client and mapping.

Registered at import (integrations.providers loads it on first use). Everything outside
integrations/asana/ talks to Asana through this object only.
"""

from __future__ import annotations

from typing import Any

from integrations.asana import links, oauth
from integrations.providers import (
    AuthorizationStart,
    LinkRef,
    TokenSet,
    register_provider,
)


class AsanaProvider:
    key = "asana"
    name = "Asana"

    # -- links ---------------------------------------------------------------------------------
    def parse_link(self, url: str) -> LinkRef | None:
        return links.parse_link(url)

    # -- OAuth 2.0 (https://developers.asana.com/docs/oauth) -----------------------------------
    def authorization_start(self, *, redirect_uri: str, server: Any = None) -> AuthorizationStart:
        return oauth.authorization_start(redirect_uri=redirect_uri)

    def authorization_finish(
        self,
        *,
        params: dict[str, str],
        start: AuthorizationStart,
        redirect_uri: str,
        server: Any = None,
    ) -> TokenSet:
        return oauth.authorization_finish(params=params, start=start, redirect_uri=redirect_uri)

    def refresh(self, *, refresh_token: str) -> TokenSet:
        return oauth.refresh(refresh_token=refresh_token)

    def revoke(self, *, token: str, server: Any = None) -> None:
        oauth.revoke(token=token)


asana_provider = register_provider(AsanaProvider())
