"""Suite-wide fixtures and the socket guard.

The guard refuses, before any packet leaves, every connection to an address outside
127.0.0.0/8 and ::1, and records what it refused: a broken egress check can never send traffic
elsewhere, and tests can assert on the record (`refused_connections`).
"""

from __future__ import annotations

import ipaddress
import socket

import pytest

pytest_plugins = ["tests.fixtures.asana", "tests.fixtures.jira"]

REFUSED: list[tuple[str, object]] = []
_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


class RefusedBySocketGuard(ConnectionRefusedError):
    """Raised instead of connecting anywhere but loopback."""


def _is_loopback(address: object) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    try:
        ip = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False  # a name here means something skipped resolution: refuse it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return False  # ::ffff:127.0.0.1 is how guards get tricked; the suite never needs it
    return ip.is_loopback


def _check(sock: socket.socket, address: object) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        REFUSED.append((sock.family.name, address))
        raise RefusedBySocketGuard(f"socket guard: connection to {address!r} refused in tests")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(self, address)
    return _original_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(self, address)
    return _original_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


@pytest.fixture
def refused_connections() -> list[tuple[str, object]]:
    """The guard's record, emptied for this test."""
    REFUSED.clear()
    yield REFUSED
    REFUSED.clear()
