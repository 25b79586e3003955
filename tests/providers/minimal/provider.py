"""The smallest provider: link parsing only, OAuth 2.0, one host from its own settings.

It never talks to a server; the registry tests use it to show what enabling a package derives
(catalog, egress hosts, key validation by services) and what the loader refuses.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from config.app_settings import AppSettings
from integrations.providers import (
    AuthKind,
    AuthorizationStart,
    Connection,
    LinkParsing,
    LinkRef,
    ProviderManifest,
    TeamRef,
    TokenSet,
)

minimal_settings = AppSettings("Minimal", {"MINIMAL_API_URL": "https://api.minimal.test/v1"})

MANIFEST = ProviderManifest(
    key="minimal",
    name="Minimal Tracker",
    plans=frozenset({"starter", "business", "enterprise", "platinum"}),
    auth_kind=AuthKind.OAUTH2,
    capabilities=frozenset({LinkParsing}),
    settings=minimal_settings,
    egress_hosts=lambda: [minimal_settings.MINIMAL_API_URL],
)


class MinimalProvider:
    key = "minimal"
    name = "Minimal Tracker"
    manifest = MANIFEST

    def connection_for(self, team: TeamRef | None) -> Connection | None:
        return None

    def authorization_start(self, *, redirect_uri: str,
                            connection: Connection | None = None) -> AuthorizationStart:
        return AuthorizationStart(url="https://minimal.test/authorize", state="state")

    def authorization_finish(self, *, params: dict[str, str], start: AuthorizationStart,
                             redirect_uri: str, connection: Connection | None = None) -> TokenSet:
        return TokenSet(access_token="minimal-token")

    def refresh(self, *, refresh_token: str) -> TokenSet:
        return TokenSet(access_token="minimal-token")

    def parse_link(self, url: str) -> LinkRef | None:
        parts = urlsplit(url)
        if parts.hostname != "minimal.test" or not parts.path.startswith("/items/"):
            return None
        item = parts.path.removeprefix("/items/").strip("/")
        return LinkRef(provider=self.key, external_id=item, url=url) if item else None


provider = MinimalProvider()
