"""The simulators' HTTP layer: keep-alive without delayed-ACK stalls, and the HTTPS mode.

The servers run in this process (the same `make_server` the `sandbox` command uses) over real
loopback sockets; nothing is mocked.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from integrations.sandbox.base import SandboxApp, SandboxServer, make_server

CALLS = 20


class _EchoApp(SandboxApp):
    name = "echo"

    def register_routes(self) -> None:
        from integrations.sandbox.base import Response

        self.route("GET", "/ping", lambda request: Response.json({"data": "pong"}))


def _serve(app: SandboxApp, server: SandboxServer) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app.base_url
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def plain_server() -> Iterator[str]:
    app = _EchoApp()
    yield from _serve(app, make_server(app))


@pytest.fixture(scope="module")
def tls_server() -> Iterator[tuple[str, str]]:
    app = _EchoApp()
    server = make_server(app, tls=True)
    assert server.ca_file is not None
    for base_url in _serve(app, server):
        yield base_url, server.ca_file


def _elapsed(call) -> float:
    """The median seconds of CALLS calls: one scheduling hiccup on a busy machine must not
    decide the comparison, a stall on every call does."""
    times = []
    for _ in range(CALLS):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def test_keep_alive_calls_are_not_slower_than_fresh_connections(plain_server: str) -> None:
    # A pooled connection must cost at most what a new one does: with headers and body in two
    # sends and Nagle on, every reused-connection call waited ~40 ms for the delayed ACK.
    url = f"{plain_server}/ping"
    with requests.Session() as pooled:
        pooled.get(url, timeout=5)  # open the connection outside the measure
        pooled_time = _elapsed(lambda: pooled.get(url, timeout=5).raise_for_status())

    def fresh_call() -> None:
        with requests.Session() as session:
            session.get(url, timeout=5).raise_for_status()

    fresh_time = _elapsed(fresh_call)
    # Before the fix a pooled call took 10-20 times a fresh one (45 ms against 2-5 ms); the
    # margin leaves room for a machine loaded by other test runs.
    assert pooled_time < fresh_time * 5, (pooled_time, fresh_time)


def test_connections_are_served_with_tcp_nodelay() -> None:
    app = _EchoApp()
    server = make_server(app)
    seen: list[int] = []

    class RecordingHandler(server.RequestHandlerClass):  # type: ignore[name-defined, misc]
        def setup(self) -> None:
            super().setup()
            seen.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    server.RequestHandlerClass = RecordingHandler
    for base_url in _serve(app, server):
        requests.get(f"{base_url}/ping", timeout=5).raise_for_status()
    assert seen and all(seen), seen


def test_https_mode_serves_a_certificate_its_ca_file_verifies(tls_server) -> None:
    base_url, ca_file = tls_server
    assert base_url.startswith("https://127.0.0.1:")
    with requests.Session() as session:
        for _ in range(3):
            assert session.get(f"{base_url}/ping", timeout=5, verify=ca_file).json() == {
                "data": "pong"
            }


def test_https_mode_is_refused_without_its_ca(tls_server) -> None:
    base_url, _ = tls_server
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{base_url}/ping", timeout=5)


def test_https_keep_alive_is_not_slower_than_fresh_connections(tls_server) -> None:
    base_url, ca_file = tls_server
    url = f"{base_url}/ping"
    with requests.Session() as pooled:
        pooled.get(url, timeout=5, verify=ca_file)
        pooled_time = _elapsed(lambda: pooled.get(url, timeout=5, verify=ca_file).raise_for_status())

    def fresh_call() -> None:
        with requests.Session() as session:
            session.get(url, timeout=5, verify=ca_file).raise_for_status()

    fresh_time = _elapsed(fresh_call)
    # A TLS handshake per fresh call costs more than any reused connection should.
    assert pooled_time < fresh_time * 2, (pooled_time, fresh_time)


def test_egress_guard_verifies_against_egress_ca_bundle(tls_server, settings) -> None:
    from integrations.egress import guarded_session

    base_url, ca_file = tls_server
    settings.EGRESS_ALLOW_LOOPBACK = True
    settings.EGRESS_CA_BUNDLE = ca_file
    with guarded_session() as session:
        assert session.get(f"{base_url}/ping", timeout=5).json() == {"data": "pong"}


def test_egress_guard_refuses_the_sandbox_certificate_without_the_bundle(
    tls_server, settings
) -> None:
    from integrations.egress import guarded_session

    base_url, _ = tls_server
    settings.EGRESS_ALLOW_LOOPBACK = True
    settings.EGRESS_CA_BUNDLE = ""
    with guarded_session() as session, pytest.raises(requests.exceptions.SSLError):
        session.get(f"{base_url}/ping", timeout=5)
