"""Has create_ticket (TicketCreate) but declares only LinkParsing: the registry must refuse it."""

from __future__ import annotations

from dataclasses import replace

from integrations.providers import Credentials, NewTicket, Ticket
from tests.providers.minimal.provider import MANIFEST, MinimalProvider


class UndeclaredProvider(MinimalProvider):
    key = "undeclared"
    name = "Undeclared"
    manifest = replace(MANIFEST, key="undeclared", name="Undeclared")

    def create_ticket(self, credentials: Credentials, new: NewTicket) -> Ticket:
        return Ticket(provider=self.key, external_id="1", url="", title=new.title)


provider = UndeclaredProvider()
