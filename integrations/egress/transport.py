"""The transport that enforces the egress policy on any requests Session, over pooled connections.

`EgressGuardAdapter` is a requests transport adapter, so it works for a plain Session and for
requests-oauthlib's OAuth1Session/OAuth2Session alike. Each request (and each redirect hop,
which requests sends through the same adapter) is checked by `check_target` (allow-list, scheme,
no proxy, verification on; no name lookup). Connections come from one process-wide, bounded
urllib3 pool manager keyed by the host *name*, so a pooled connection is only ever reused for the
same scheme, host, port and TLS context. Whenever a connection is opened, `check_addresses`
resolves the name once, checks every answer, and the socket connects to the checked address
literal without any further lookup, while the Host header, TLS SNI and certificate verification
use the hostname. A change of the settings-level policy (allow-list, loopback mode, CA bundle)
drops every pooled connection, so none outlives the policy that allowed it. TLS uses one
SSLContext per process and CA bundle: the bundle is read once, not per connection.

This is requests-hardened's pinning idea, rebuilt here: its filter checks only the first DNS
answer, lets ::a9fe:a9fe, fec0::/10 and some other forms through on Python 3.11, has no host
allow-list or https rule, and its urllib3 connection still calls getaddrinfo on the pinned literal.
"""

from __future__ import annotations

import functools
import os
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterable
from http.cookiejar import DefaultCookiePolicy
from ipaddress import ip_address
from typing import Any, TypeVar

import certifi
import requests
from requests.adapters import HTTPAdapter
from requests.utils import select_proxy
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.ssl_ import create_urllib3_context
from urllib3.util.timeout import _DEFAULT_TIMEOUT, Timeout

from config.observability.request_id import REQUEST_ID_HEADER, request_id_get
from integrations.conf import integration_settings
from integrations.egress.observe import call_record
from integrations.egress.policy import (
    PROXY_REFUSED,
    VERIFY_REFUSED,
    EgressRefused,
    EgressResolutionError,
    Target,
    check_addresses,
    check_target,
    policy_fingerprint,
    refuse,
)

SessionT = TypeVar("SessionT", bound=requests.Session)

CLIENT_CERT_REFUSED = "client certificates are not supported by the egress guard"


class RefusedAtConnect(Exception):  # noqa: N818 - a carrier, not an error of its own
    """Carries a refusal out of urllib3 unchanged.

    `EgressRefused` and `EgressResolutionError` are OSErrors (through requests' exceptions), which
    urllib3 would wrap into a retried connection error; this is not one, so it passes through
    and the adapter re-raises the original.
    """

    def __init__(self, error: EgressRefused | EgressResolutionError) -> None:
        super().__init__(str(error))
        self.error = error


class PinnedConnectionMixin:
    """Opens each new connection to the checked address of the pool's host name.

    urllib3's own `_new_conn` goes through getaddrinfo on its own; this one resolves exactly
    once through `check_addresses` (every answer checked against the policy in force now), then
    connects to the checked literal, so no second lookup can send the connection elsewhere.
    """

    host: str
    port: int
    timeout: Any
    source_address: tuple[str, int] | None
    socket_options: Any
    guard_scheme = "http"

    def checked_address(self) -> str:
        host = self.host.strip("[]")
        default = self.guard_scheme == "https" and self.port == 443
        default = default or (self.guard_scheme == "http" and self.port == 80)
        host_header = f"[{host}]" if ":" in host else host
        if not default:
            host_header = f"{host_header}:{self.port}"
        target = Target(
            scheme=self.guard_scheme, host=host, port=self.port, host_header=host_header
        )
        try:
            return str(check_addresses(target).address)
        except (EgressRefused, EgressResolutionError) as error:
            raise RefusedAtConnect(error) from None

    def _new_conn(self) -> socket.socket:
        address = ip_address(self.checked_address())
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
    guard_scheme = "https"


class PinnedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = PinnedHTTPConnection


class PinnedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = PinnedHTTPSConnection


@functools.cache
def tls_context(cafile: str, capath: str = "") -> ssl.SSLContext:
    """One verifying SSLContext per CA bundle and process: the bundle is read once, here.

    Certificate and hostname verification are always on; urllib3 only wraps sockets with it.
    """
    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
    context.load_verify_locations(cafile=cafile or None, capath=capath or None)
    context.check_hostname = True
    return context


def default_ca_bundle() -> str:
    """EGRESS_CA_BUNDLE when set (the sandboxes' TLS mode), certifi's bundle otherwise."""
    return str(integration_settings.EGRESS_CA_BUNDLE or "") or certifi.where()


class SharedPools:
    """The process's pool manager, rebuilt after a fork or a change of the egress policy.

    Bounded: EGRESS_POOL_HOSTS hosts, EGRESS_POOL_SIZE idle connections kept per host (more
    can be open at once under load; the extra ones are closed when released).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.manager: PoolManager | None = None
        self.pid = 0
        self.fingerprint: tuple[object, ...] = ()

    def current(self) -> PoolManager:
        fingerprint = policy_fingerprint()
        pid = os.getpid()
        with self.lock:
            if self.manager is None or self.pid != pid or self.fingerprint != fingerprint:
                if self.manager is not None and self.pid == pid:
                    self.manager.clear()  # no connection outlives the policy that allowed it
                self.manager = self.new_manager()
                self.pid, self.fingerprint = pid, fingerprint
            return self.manager

    def clear(self) -> None:
        with self.lock:
            if self.manager is not None and self.pid == os.getpid():
                self.manager.clear()
            self.manager = None

    @staticmethod
    def new_manager() -> PoolManager:
        manager = PoolManager(
            num_pools=int(integration_settings.EGRESS_POOL_HOSTS),
            maxsize=int(integration_settings.EGRESS_POOL_SIZE),
            block=False,
        )
        manager.pool_classes_by_scheme = {
            "http": PinnedHTTPConnectionPool,
            "https": PinnedHTTPSConnectionPool,
        }
        return manager


shared_pools = SharedPools()


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
    """A transport adapter that sends only what the guard allows, over the shared pools."""

    __attrs__ = [*HTTPAdapter.__attrs__, "extra_allowed_hosts", "provider"]

    def __init__(self, *, allowed_hosts: Iterable[str] = (), provider: str = "",
                 **kwargs: Any) -> None:
        self.extra_allowed_hosts = tuple(allowed_hosts)
        self.provider = provider  # the metrics' label; "" means "tell by the host"
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        # Connections live in `shared_pools`; requests' own per-adapter manager is never used.
        self.poolmanager = None

    def close(self) -> None:
        """Closing a session leaves the process's shared pools to the other sessions."""

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        # A copy, so the Host header set below never leaks into the caller's request object.
        started, status = time.monotonic(), "connection_error"
        sent = request.copy()
        request_id = request_id_get()
        if request_id and REQUEST_ID_HEADER not in sent.headers:
            # The request (or task) this call is part of, so a provider's logs (a team's own
            # Jira Server) can be matched with Conduit's: a random id, nothing about anyone.
            sent.headers[REQUEST_ID_HEADER] = request_id
        try:
            response = super().send(
                sent,
                stream=stream,
                timeout=bounded_timeout(timeout),
                verify=verify,
                cert=cert,
                proxies=proxies,
            )
            status = str(response.status_code)
            return response
        except RefusedAtConnect as carrier:
            status = "refused"
            raise carrier.error from None
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

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        # Verification lives in the pool's shared SSLContext (see get_connection_with_tls_context);
        # a CA path on the pool would make urllib3 load it again on every new connection.
        if url.lower().startswith("https"):
            conn.cert_reqs = "CERT_REQUIRED"
            conn.ca_certs = None
            conn.ca_cert_dir = None

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: bool | str | None,
        proxies: dict[str, str] | None = None,
        cert: Any = None,
    ) -> HTTPConnectionPool:
        target = check_target(request.url or "", extra_hosts=self.extra_allowed_hosts)
        if select_proxy(request.url, proxies):
            raise refuse(PROXY_REFUSED, target.origin)
        if target.scheme == "https" and verify is False:
            raise refuse(VERIFY_REFUSED, target.origin)
        if cert is not None:
            raise refuse(CLIENT_CERT_REFUSED, target.origin)
        manager = shared_pools.current()
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        host_params["host"] = target.host  # the pool is keyed by name: never shared across hosts
        host_params["port"] = target.port
        if target.scheme == "https":
            ca_certs = pool_kwargs.pop("ca_certs", None) or ""
            ca_cert_dir = pool_kwargs.pop("ca_cert_dir", None) or ""
            if not ca_certs and not ca_cert_dir:
                ca_certs = default_ca_bundle()
            pool_kwargs["ssl_context"] = tls_context(ca_certs, ca_cert_dir)
        request.headers["Host"] = target.host_header
        return manager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)

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


_thread_sessions = threading.local()
THREAD_SESSIONS_MAX = 32  # per thread; the keys are few (a provider's hosts), this only bounds


def thread_session(*, allowed_hosts: Iterable[str] = (), provider: str = "") -> requests.Session:
    """This thread's guarded session for these hosts, kept for the thread's life, so the API
    clients of a provider share one instead of building a session and its adapters per call
    (bench P1: a quarter of an unfurl's own time). It holds no header and keeps no cookie:
    nothing of one call (a user's token, a cookie the provider set) rides along with the next,
    so callers pass their headers with each request. Its connections are the guard's shared
    pools, rebuilt after a fork or a policy change."""
    key = (tuple(allowed_hosts), provider)
    sessions: dict[tuple, requests.Session] | None = getattr(_thread_sessions, "by_key", None)
    if sessions is None or len(sessions) >= THREAD_SESSIONS_MAX:
        sessions = _thread_sessions.by_key = {}
    session = sessions.get(key)
    if session is None:
        session = sessions[key] = guarded_session(allowed_hosts=allowed_hosts, provider=provider)
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
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
