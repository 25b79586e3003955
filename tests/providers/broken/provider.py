"""Declares TicketRead without fetch_ticket/list_tickets: the registry must refuse it."""

from __future__ import annotations

from dataclasses import replace

from integrations.providers import TicketRead
from tests.providers.minimal.provider import MANIFEST, MinimalProvider


class BrokenProvider(MinimalProvider):
    key = "broken"
    name = "Broken"
    manifest = replace(MANIFEST, key="broken", name="Broken",
                       capabilities=MANIFEST.capabilities | {TicketRead})


provider = BrokenProvider()
