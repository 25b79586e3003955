"""The egress guard's connection pool: reuse, and the checks a pooled connection never skips.

Real loopback servers count the TCP connections they accept; names come from the stub DNS of
conftest.py, which records every lookup, so "resolved once per new connection" is observable.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integrations.egress import EgressRefused, guarded_session
from integrations.egress.transport import shared_pools, tls_context
from tests.integrations.test_egress import (
    RecordingHandler,
    RecordingServer,
    refused,
    serve_tls,
    start_server,
)


class KeepAliveHandler(RecordingHandler):
    protocol_version = "HTTP/1.1"  # keeps the connection open between requests
    disable_nagle_algorithm = True  # headers and body leave at once: no delayed-ACK stall


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    running = start_server(RecordingServer(("127.0.0.1", 0), KeepAliveHandler))
    yield running
    running.shutdown()
    running.server_close()


@pytest.fixture
def tls_server(tmp_path) -> Iterator[tuple[RecordingServer, str, list[str]]]:
    """A keep-alive HTTPS server whose certificate names only sandbox.test; records SNI."""
    yield from serve_tls(tmp_path, KeepAliveHandler)


@pytest.fixture(autouse=True)
def fresh_pools():
    """Each test starts with no pooled connection (another test's may hold the same port)."""
    shared_pools.clear()
    yield
    shared_pools.clear()


def test_connection_is_reused_across_sessions_and_the_name_resolved_once(dns, loopback_on, server):
    dns.answers["sandbox.test"] = [["127.0.0.1"]]
    url = f"http://sandbox.test:{server.server_port}/hello"

    for _ in range(3):
        assert guarded_session(allowed_hosts=["sandbox.test"]).get(url).status_code == 200

    assert server.accepted == 1
    assert dns.lookups == ["sandbox.test"]


def test_pooled_connection_is_never_reused_for_another_host(dns, loopback_on, server):
    dns.answers["a.test"] = [["127.0.0.1"]]
    dns.answers["b.test"] = [["127.0.0.1"]]
    session = guarded_session(allowed_hosts=["a.test", "b.test"])

    session.get(f"http://a.test:{server.server_port}/one")
    session.get(f"http://b.test:{server.server_port}/two")

    assert server.accepted == 2  # same address and port, yet a second connection
    assert [seen["host"] for seen in server.seen] == [
        f"a.test:{server.server_port}",
        f"b.test:{server.server_port}",
    ]


def test_pooled_connection_is_dropped_when_the_policy_changes(dns, loopback_on, server):
    dns.answers["sandbox.test"] = [["127.0.0.1"]]
    url = f"http://sandbox.test:{server.server_port}/hello"
    guarded_session(allowed_hosts=["sandbox.test"]).get(url)

    loopback_on.EGRESS_ALLOWED_HOSTS = ["unrelated.example"]  # any change of the policy
    guarded_session(allowed_hosts=["sandbox.test"]).get(url)

    assert server.accepted == 2
    assert dns.lookups == ["sandbox.test", "sandbox.test"]


def test_pooled_connection_is_not_used_once_loopback_is_turned_off(dns, loopback_on, server):
    dns.answers["sandbox.test"] = [["127.0.0.1"]]
    url = f"http://sandbox.test:{server.server_port}/hello"
    guarded_session(allowed_hosts=["sandbox.test"]).get(url)

    loopback_on.EGRESS_ALLOW_LOOPBACK = False
    with pytest.raises(EgressRefused):
        guarded_session(allowed_hosts=["sandbox.test"]).get(url)

    assert server.accepted == 1
    assert len(server.seen) == 1


def test_address_is_checked_again_when_a_new_connection_is_opened(
    dns, loopback_on, server, refused_connections
):
    dns.answers["sandbox.test"] = [["127.0.0.1"]]
    dns.later = "10.0.0.1"  # rebinding: every later answer is private
    server.routes["/bye"] = (200, {"Connection": "close"})  # the server ends the connection
    session = guarded_session(allowed_hosts=["sandbox.test"])
    session.get(f"http://sandbox.test:{server.server_port}/bye")

    with pytest.raises(EgressRefused) as refusal:
        session.get(f"http://sandbox.test:{server.server_port}/hello")

    assert refusal.value.reason == refused("10.0.0.1", "private")
    assert server.accepted == 1
    assert refused_connections == []


def test_tls_connections_share_one_context_and_keep_verifying(dns, loopback_on, tls_server):
    server, ca_path, server_names = tls_server
    dns.answers["sandbox.test"] = [["127.0.0.1"]]
    server.routes["/bye"] = (200, {"Connection": "close"})
    session = guarded_session(allowed_hosts=["sandbox.test"])
    tls_context.cache_clear()

    for _ in range(3):
        session.get(f"https://sandbox.test:{server.server_port}/bye", verify=ca_path)

    assert server.accepted == 3  # three TLS handshakes...
    assert tls_context.cache_info().misses == 1  # ...and the CA bundle loaded once
    assert server_names == ["sandbox.test"] * 3


def test_tls_connection_is_reused(dns, loopback_on, tls_server):
    server, ca_path, server_names = tls_server
    dns.answers["sandbox.test"] = [["127.0.0.1"]]
    session = guarded_session(allowed_hosts=["sandbox.test"])

    for _ in range(3):
        session.get(f"https://sandbox.test:{server.server_port}/hello", verify=ca_path)

    assert server.accepted == 1
    assert server_names == ["sandbox.test"]
