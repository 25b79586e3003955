"""Fixtures of the egress and provider tests: a stub DNS, and the loopback switch.

No DNS here: names are resolved by a stub installed over socket.getaddrinfo (the `dns`
fixture); tests/conftest.py's socket guard refuses every connection outside loopback.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from ipaddress import ip_address

import pytest


@dataclass
class StubDns:
    """Answers per name, in order; the last answer repeats. Records every lookup."""

    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)
    # After the first lookup, answer `later` to every query, IP literals included: the worst
    # resolver a rebinding attacker could wish for.
    later: str | None = None

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else str(host)
        self.lookups.append(name)
        if self.later is not None and len(self.lookups) > 1:
            addresses = [self.later]
        elif name in self.answers:
            queue = self.answers[name]
            addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        else:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (stub DNS)")
        port = int(port or 0)
        result = []
        for address in addresses:
            if ip_address(address).version == 6:
                result.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                result.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return result


@pytest.fixture
def dns(monkeypatch) -> StubDns:
    """Stubbed name resolution: no DNS here."""
    stub = StubDns()
    monkeypatch.setattr(socket, "getaddrinfo", stub.getaddrinfo)
    return stub


@pytest.fixture
def loopback_on(settings):
    settings.EGRESS_ALLOW_LOOPBACK = True
    return settings


@pytest.fixture
def loopback_off(settings):
    settings.EGRESS_ALLOW_LOOPBACK = False
    return settings
