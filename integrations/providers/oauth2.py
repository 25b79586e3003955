"""The provider half of an OAuth 2.0 flow that needs nothing per team (Asana's, a test tool's).

A provider class names its package's flow module as `oauth_flow` and inherits the four
authorization methods of the core protocol (and `revoke` of `Revocation`) from
`OAuth2Provider`, instead of writing the same delegations again.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from integrations.providers.capabilities import TeamRef
from integrations.providers.values import AuthorizationStart, Connection, TokenSet


class OAuth2Flow(Protocol):
    """What a provider package's oauth module offers (module-level functions)."""

    def authorization_start(self, *, redirect_uri: str) -> AuthorizationStart: ...

    def authorization_finish(self, *, params: dict[str, str], start: AuthorizationStart,
                             redirect_uri: str) -> TokenSet: ...

    def refresh(self, *, refresh_token: str) -> TokenSet: ...

    def revoke(self, *, token: str) -> None: ...


class OAuth2Provider:
    """Each user's token is all a call needs: no connection per team, and the flow's calls
    ignore the `connection` the protocol passes."""

    oauth_flow: ClassVar[OAuth2Flow]

    def connection_for(self, team: TeamRef | None) -> Connection | None:
        return None

    def authorization_start(
        self, *, redirect_uri: str, connection: Connection | None = None
    ) -> AuthorizationStart:
        return self.oauth_flow.authorization_start(redirect_uri=redirect_uri)

    def authorization_finish(self, *, params: dict[str, str], start: AuthorizationStart,
                             redirect_uri: str, connection: Connection | None = None) -> TokenSet:
        return self.oauth_flow.authorization_finish(params=params, start=start,
                                                    redirect_uri=redirect_uri)

    def refresh(self, *, refresh_token: str) -> TokenSet:
        return self.oauth_flow.refresh(refresh_token=refresh_token)

    def revoke(self, *, token: str, connection: Connection | None = None) -> None:
        self.oauth_flow.revoke(token=token)
