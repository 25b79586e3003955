"""The egress rules for one URL: allow-listed host, https, one resolution, public addresses.

`check_destination` is the single decision point: it returns the address to connect to (the
one that was checked) or raises `EgressRefused` with one of the reasons below. It is two steps:
`check_target` (allow-list, scheme; no lookup: run on every request) and `check_addresses` (one
resolution, every answer checked: run whenever a new connection is opened).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from ipaddress import IPv4Address, ip_address
from urllib.parse import urlsplit

import requests
from urllib3.util.connection import allowed_gai_family

from config.app_settings import settings_generation
from integrations.conf import integration_settings
from integrations.egress.addresses import IPAddress, address_refusal, display
from integrations.providers.registry import all_providers

logger = logging.getLogger("integrations.egress")

HOST_NOT_ALLOWED = "host not in the allow-list"
PLAIN_HTTP_REFUSED = "plain http is refused"
SCHEME_REFUSED = "only https URLs are allowed"
MISSING_HOST = "the URL has no host"
PROXY_REFUSED = "proxies are refused: the connection must go to the checked address"
VERIFY_REFUSED = "TLS certificate verification cannot be turned off"
NAME_DOES_NOT_RESOLVE = "host {host} does not resolve"

DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK_NAMES = frozenset({"localhost"})


class EgressRefused(requests.exceptions.RequestException):
    """An outbound call the guard refused before any connection was opened.

    `reason` is one of the module's message constants (formatted); `origin` is the target's
    scheme://host[:port], never its path or query, which can carry tokens.
    """

    def __init__(self, reason: str, *, origin: str = "") -> None:
        self.reason = reason
        self.origin = origin
        message = (
            f"egress refused for {origin}: {reason}" if origin else f"egress refused: {reason}"
        )
        super().__init__(message)


class EgressResolutionError(requests.exceptions.ConnectionError):
    """The host's name did not resolve: a network failure, not a refusal."""


@dataclass(frozen=True)
class Destination:
    """Where a checked request goes: the name for Host/SNI/certificate, the address for TCP."""

    scheme: str
    host: str
    port: int
    address: IPAddress
    host_header: str

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host_header}"


# A pure function of its string, asked for each allow-list entry on every request (twice: the
# target check and the pools' policy fingerprint); the entries are few and fixed by settings.
@lru_cache(maxsize=1024)
def normalize_host(entry: str) -> str:
    """A host as the allow-list compares it: lower case, no brackets, no trailing dot.

    Accepts a bare host or a URL (a team's Jira base URL can be passed as it is stored).
    """
    entry = entry.strip()
    if "://" in entry:
        entry = urlsplit(entry).hostname or ""
    entry = entry.strip("[]").rstrip(".").lower()
    try:
        return display(ip_address(entry))
    except ValueError:
        return entry


def provider_hosts() -> set[str]:
    """The hosts every enabled provider's manifest derives from its own settings (Asana's API
    and OAuth URLs); per-team hosts (a Jira server) come from the caller's connection."""
    return {
        normalize_host(str(host))
        for provider in all_providers()
        for host in provider.manifest.egress_hosts()
        if host
    }


def allowed_hosts(extra: Iterable[str] = ()) -> frozenset[str]:
    """Provider hosts, plus EGRESS_ALLOWED_HOSTS, plus the caller's own (a Jira Server host).

    Asked twice per request (the target check, the pools' policy fingerprint) and a function of
    the settings and `extra` alone: kept until a setting changes."""
    return _allowed_hosts(settings_generation(), tuple(extra))


@lru_cache(maxsize=256)
def _allowed_hosts(generation: int, extra: tuple[str, ...]) -> frozenset[str]:
    hosts = provider_hosts()
    hosts.update(normalize_host(entry) for entry in integration_settings.EGRESS_ALLOWED_HOSTS)
    hosts.update(normalize_host(entry) for entry in extra)
    hosts.discard("")
    return frozenset(hosts)


def host_is_allowed(host: str, allowed: frozenset[str] | set[str], *,
                    allow_loopback: bool) -> bool:
    if host in allowed:
        return True
    if allow_loopback and _is_loopback_name(host):
        return True
    # "*.example.com" allows any name under example.com, not example.com itself.
    return any(entry.startswith("*.") and host.endswith(entry[1:]) for entry in allowed)


def _is_loopback_name(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return address.is_loopback and (isinstance(address, IPv4Address) or address.ipv4_mapped is None)


def _is_ip_literal(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True


def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses of `host`, resolved once; an IP literal is taken as it is."""
    try:
        return [ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise EgressResolutionError(NAME_DOES_NOT_RESOLVE.format(host=host)) from error
    addresses: list[IPAddress] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise EgressResolutionError(NAME_DOES_NOT_RESOLVE.format(host=host))
    return addresses


def refuse(reason: str, origin: str) -> EgressRefused:
    # Reason and origin only: headers, bodies, paths and queries can carry secrets.
    logger.warning("egress refused for %s: %s", origin, reason)
    return EgressRefused(reason, origin=origin)


@dataclass(frozen=True)
class Target:
    """A URL's destination after the checks that need no name lookup (host, scheme, port)."""

    scheme: str
    host: str
    port: int
    host_header: str

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host_header}"


def check_target(url: str, *, extra_hosts: Iterable[str] = ()) -> Target:
    """The allow-listed target of `url`, or EgressRefused; never resolves a name."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = normalize_host(parts.hostname or "")
    port = parts.port or DEFAULT_PORTS.get(scheme, 0)
    origin = f"{scheme}://{f'[{host}]' if ':' in host else host}" + (
        f":{parts.port}" if parts.port else ""
    )
    if not host:
        raise refuse(MISSING_HOST, origin)
    if scheme not in DEFAULT_PORTS:
        raise refuse(SCHEME_REFUSED, origin)
    allow_loopback = bool(integration_settings.EGRESS_ALLOW_LOOPBACK)
    if not host_is_allowed(host, allowed_hosts(extra_hosts), allow_loopback=allow_loopback):
        raise refuse(HOST_NOT_ALLOWED, origin)
    if scheme == "http" and not allow_loopback and not _is_ip_literal(host):
        raise refuse(PLAIN_HTTP_REFUSED, origin)  # before any lookup; a literal's address says more
    return Target(scheme=scheme, host=host, port=port, host_header=origin.split("://", 1)[1])


def check_addresses(target: Target) -> Destination:
    """Resolve `target` once and check every answer; the first is the address to connect to.

    A name with one refused answer among allowed ones is refused.
    """
    allow_loopback = bool(integration_settings.EGRESS_ALLOW_LOOPBACK)
    addresses = resolve(target.host, target.port)
    for address in addresses:
        reason = address_refusal(address, allow_loopback=allow_loopback)
        if reason is not None:
            raise refuse(reason, target.origin)
    if target.scheme == "http" and not all(address.is_loopback for address in addresses):
        raise refuse(PLAIN_HTTP_REFUSED, target.origin)
    return Destination(
        scheme=target.scheme,
        host=target.host,
        port=target.port,
        address=addresses[0],
        host_header=target.host_header,
    )


def check_destination(url: str, *, extra_hosts: Iterable[str] = ()) -> Destination:
    """The checked destination of `url`, or EgressRefused: `check_target`, then `check_addresses`.

    Every address the name resolves to must pass (a name with one private answer among public
    ones is refused); the first is the one to connect to, so no second lookup ever happens.
    """
    return check_addresses(check_target(url, extra_hosts=extra_hosts))


def policy_fingerprint() -> tuple[object, ...]:
    """What the settings-level policy is now; a change invalidates every pooled connection."""
    return (
        frozenset(allowed_hosts()),
        bool(integration_settings.EGRESS_ALLOW_LOOPBACK),
        str(integration_settings.EGRESS_CA_BUNDLE or ""),
    )
