"""The team's Jira server as a plain value: the `Connection` of integrations.providers."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class ServerContext:
    """The registered server of one team: where it is and how Conduit signs for it."""

    base_url: str
    consumer_key: str
    private_key_pem: str = field(repr=False)
    connection_id: str = ""

    @property
    def host(self) -> str:
        """The host the egress guard allows for calls to this server."""
        return urlsplit(self.base_url).hostname or ""

    @property
    def site(self) -> str:
        """The normalised base URL: a pasted link's `LinkRef.site` must equal it."""
        return self.base_url

    @property
    def egress_hosts(self) -> frozenset[str]:
        return frozenset({self.host} - {""})

    def __repr__(self) -> str:  # never the private key, in a log line or an error report
        return f"ServerContext(base_url={self.base_url!r}, consumer_key={self.consumer_key!r})"
