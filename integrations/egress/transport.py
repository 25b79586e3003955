"""The transport that enforces the egress policy on any requests Session.

`EgressGuardAdapter` is a requests transport adapter, so it works for a plain Session and for
requests-oauthlib's OAuth1Session/OAuth2Session alike. Each request (and each redirect hop,
which requests sends through the same adapter) is checked by `check_destination`; the urllib3
pool is then keyed by the checked IP address, and its connections open a socket to that literal
address without any name lookup, while the Host header, TLS SNI and certificate verification use
the hostname (`server_hostname`). This is requests-hardened's pinning idea, rebuilt here: its
filter checks only the first DNS answer, lets ::a9fe:a9fe, fec0::/10 and some other forms
through on Python 3.11, has no host allow-list or https rule, and its urllib3 connection still
calls getaddrinfo on the pinned literal.
"""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterable
from ipaddress import ip_address
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from requests.utils import select_proxy
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.timeout import _DEFAULT_TIMEOUT, Timeout

from integrations.conf import integration_settings
from integrations.egress.observe import call_record
from integrations.egress.policy import (
    PROXY_REFUSED,
    VERIFY_REFUSED,
    EgressRefused,
    check_destination,
    refuse,
)

SessionT = TypeVar("SessionT", bound=requests.Session)


class PinnedConnectionMixin:
    """Opens the TCP connection to the pool's host, which is always a checked IP literal.

    urllib3's own `_new_conn` goes through getaddrinfo; this one never resolves anything, so
    no second lookup can send the connection somewhere else.
    """

    host: str
    port: int
    timeout: Any
    source_address: tuple[str, int] | None
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        address = ip_address(self.host.strip("[]"))  # a name here would be a bug: refuse to guess
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            for option in self.socket_options or ():
                sock.setsockopt(*option)
            if self.timeout is not _DEFAULT_TIMEOUT:
                sock.settimeout(self.timeout)
            if self.source_address:
                sock.bind(self.source_address)
            sock.connect((str(address), self.port))
        except TimeoutError as error:
            sock.close()
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from error
        except OSError as error:
            sock.close()
            raise NewConnectionError(
                self,  # type: ignore[arg-type]
                f"Failed to establish a new connection: {error}",
            ) from error
        sys.audit("http.client.connect", self, self.host, self.port)
        return sock


class PinnedHTTPConnection(PinnedConnectionMixin, HTTPConnection):
    pass


class PinnedHTTPSConnection(PinnedConnectionMixin, HTTPSConnection):
    pass


class PinnedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = PinnedHTTPConnection


class PinnedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = PinnedHTTPSConnection


def _bounded(value: Any, default: float) -> float:
    # None (no timeout) and urllib3's "use the default" marker both mean the configured default.
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        value = default
    return min(float(value), float(integration_settings.EGRESS_MAX_TIMEOUT))


def bounded_timeout(timeout: Any) -> tuple[float, float]:
    """(connect, read) seconds: the caller's values, defaults where missing, never above the max."""
    if isinstance(timeout, Timeout):
        connect, read = timeout.connect_timeout, timeout.read_timeout
    elif isinstance(timeout, tuple):
        connect, read = timeout
    else:
        connect = read = timeout
    return (
        _bounded(connect, integration_settings.EGRESS_CONNECT_TIMEOUT),
        _bounded(read, integration_settings.EGRESS_READ_TIMEOUT),
    )


class EgressGuardAdapter(HTTPAdapter):
    """A transport adapter that sends only what `check_destination` allows, to the checked IP."""

    __attrs__ = [*HTTPAdapter.__attrs__, "extra_allowed_hosts", "provider"]

    def __init__(self, *, allowed_hosts: Iterable[str] = (), provider: str = "",
                 **kwargs: Any) -> None:
        self.extra_allowed_hosts = tuple(allowed_hosts)
        self.provider = provider  # the metrics' label; "" means "tell by the host"
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": PinnedHTTPConnectionPool,
            "https": PinnedHTTPSConnectionPool,
        }

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        if verify is True and integration_settings.EGRESS_CA_BUNDLE:
            # Only "verify with the default CAs" is redirected: a caller's own bundle stays, and
            # verify=False is refused for https in get_connection_with_tls_context anyway.
            verify = str(integration_settings.EGRESS_CA_BUNDLE)
        # A copy, so the Host header set below never leaks into the caller's request object.
        started, status = time.monotonic(), "connection_error"
        try:
            response = super().send(
                request.copy(),
                stream=stream,
                timeout=bounded_timeout(timeout),
                verify=verify,
                cert=cert,
                proxies=proxies,
            )
            status = str(response.status_code)
            return response
        except EgressRefused:
            status = "refused"
            raise
        except requests.Timeout:
            status = "timeout"
            raise
        finally:
            # One log line and the provider-call metrics (integrations.egress.observe).
            call_record(url=request.url or "", method=request.method or "", status=status,
                        provider=self.provider, seconds=time.monotonic() - started)

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: bool | str | None,
        proxies: dict[str, str] | None = None,
        cert: Any = None,
    ) -> HTTPConnectionPool:
        destination = check_destination(request.url or "", extra_hosts=self.extra_allowed_hosts)
        if select_proxy(request.url, proxies):
            raise refuse(PROXY_REFUSED, destination.origin)
        if destination.scheme == "https" and verify is False:
            raise refuse(VERIFY_REFUSED, destination.origin)
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        host_params["host"] = str(destination.address)
        host_params["port"] = destination.port
        if destination.scheme == "https":
            pool_kwargs["server_hostname"] = destination.host  # SNI and certificate name
        request.headers["Host"] = destination.host_header
        return self.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)

    def get_connection(self, url: str, proxies: dict[str, str] | None = None) -> Any:
        raise NotImplementedError(
            "the egress guard connects only through get_connection_with_tls_context"
        )

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise NotImplementedError(PROXY_REFUSED)


def guard_session(session: SessionT, *, allowed_hosts: Iterable[str] = (),
                  provider: str = "") -> SessionT:
    """Make `session` egress-guarded: the guard becomes its only transport.

    Environment proxies, netrc and CA bundles (REQUESTS_CA_BUNDLE...) are ignored
    (`trust_env = False`): https is verified against EGRESS_CA_BUNDLE when that setting names a
    file, certifi's bundle otherwise. Redirects are
    followed, each hop checked like the first, up to EGRESS_MAX_REDIRECTS.
    """
    session.trust_env = False
    session.max_redirects = int(integration_settings.EGRESS_MAX_REDIRECTS)
    adapter = EgressGuardAdapter(allowed_hosts=allowed_hosts, provider=provider)
    session.adapters.clear()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def guarded_session(
    *,
    allowed_hosts: Iterable[str] = (),
    session_class: type[SessionT] = requests.Session,  # type: ignore[assignment]
    provider: str = "",
    **kwargs: Any,
) -> SessionT:
    """A new `session_class(**kwargs)` (Session, OAuth1Session, OAuth2Session...) behind the guard.

    `allowed_hosts` adds hosts to the provider hosts and EGRESS_ALLOWED_HOSTS, e.g. a team's
    registered Jira Server host (a bare host or its base URL). `provider` labels the calls in
    the metrics and log lines (Asana's hosts are recognised without it).
    """
    return guard_session(session_class(**kwargs), allowed_hosts=allowed_hosts, provider=provider)
