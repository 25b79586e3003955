"""The trial's demo board content: a few tickets of each simulator's seed, as Conduit maps them.

Each provider's manifest declares them (`SandboxSpec.demo_tickets`, mapped by the provider's own
mapping), so a card's stored fields are what importing it through the API would store; this
module only finds the provider behind a simulator name.
"""

from __future__ import annotations

from integrations.providers import Ticket, all_providers


def demo_tickets(*, sandbox: str, base_url: str) -> list[Ticket]:
    """The demo tickets of the enabled provider whose simulator is `sandbox` ([] if none)."""
    for provider in all_providers():
        spec = provider.manifest.sandbox
        if spec is not None and spec.name == sandbox:
            return list(spec.demo_tickets(base_url))
    return []


def demo_asana_tickets(*, app_url: str) -> list[Ticket]:
    """The demo Asana tasks with permalinks on `app_url` (the simulator's own address)."""
    return demo_tickets(sandbox="asana", base_url=app_url)


def demo_jira_tickets(*, base_url: str) -> list[Ticket]:
    """The demo Jira issues with `{base_url}/browse/KEY` links."""
    return demo_tickets(sandbox="jira", base_url=base_url)
