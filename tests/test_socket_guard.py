"""The suite's own safety net works before any other test relies on it."""

import socket

import pytest

from tests.conftest import RefusedBySocketGuard


def test_connection_outside_loopback_is_refused_and_recorded(refused_connections):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(RefusedBySocketGuard):
        sock.connect(("10.0.0.1", 80))
    sock.close()
    assert refused_connections == [("AF_INET", ("10.0.0.1", 80))]


def test_ipv4_mapped_loopback_is_refused(refused_connections):
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    with pytest.raises(RefusedBySocketGuard):
        sock.connect(("::ffff:127.0.0.1", 80, 0, 0))
    sock.close()
    assert len(refused_connections) == 1


def test_loopback_is_allowed(refused_connections):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    client = socket.create_connection(server.getsockname(), timeout=2)
    client.close()
    server.close()
    assert refused_connections == []
