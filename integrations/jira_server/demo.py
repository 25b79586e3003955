"""The trial's demo Jira tickets: issues of the simulator's seed, mapped by this package as
importing them would store them (the manifest's `SandboxSpec.demo_tickets`).

Imported only when the trial seeds its board: it reads the simulator's seed modules.
"""

from __future__ import annotations

from integrations.jira_server.mapping import issue_to_ticket
from integrations.providers import Ticket
from integrations.sandbox.jira import seed as jira_seed
from integrations.sandbox.jira.representations import issue_json
from integrations.sandbox.jira.state import JiraState

DEMO_ISSUES = ("TEST-1", "TEST-2")


def demo_tickets(base_url: str) -> list[Ticket]:
    """The demo issues with `{base_url}/browse/KEY` links."""
    state = JiraState(version="8.5.0", server_title="Jira")
    jira_seed.load(state)
    base_url = base_url.rstrip("/")
    return [
        issue_to_ticket(issue_json(base_url, state, state.issue(key)), base_url=base_url)
        for key in DEMO_ISSUES
    ]
