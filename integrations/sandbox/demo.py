"""The trial's demo board content: a few tickets of each simulator's seed, as Conduit maps them.

Built from the simulators' seed data through their own representations and Conduit's mappers,
so a card's stored fields are what importing it through the API would store.
"""

from __future__ import annotations

from integrations.asana.mapping import ticket_from_task
from integrations.jira_server.mapping import issue_to_ticket
from integrations.providers import Ticket
from integrations.sandbox.asana.representations import task_record
from integrations.sandbox.asana.seed import WEBSITE_PROJECT, WEBSITE_TASK_FIRST, build_store
from integrations.sandbox.jira import seed as jira_seed
from integrations.sandbox.jira.representations import issue_json
from integrations.sandbox.jira.state import JiraState

# "Draft homepage copy" (with files to copy to Jira), "Design new navigation",
# "Fix broken signup link".
DEMO_ASANA_TASKS = tuple(str(int(WEBSITE_TASK_FIRST) + offset) for offset in range(3))
DEMO_JIRA_ISSUES = ("TEST-1", "TEST-2")


def demo_asana_tickets(*, app_url: str) -> list[Ticket]:
    """The demo Asana tasks with permalinks on `app_url` (the simulator's own address)."""
    store = build_store()
    return [
        ticket_from_task(task_record(store, store.tasks[gid], app_url.rstrip("/")),
                         project_gid=WEBSITE_PROJECT)
        for gid in DEMO_ASANA_TASKS
    ]


def demo_jira_tickets(*, base_url: str) -> list[Ticket]:
    """The demo Jira issues with `{base_url}/browse/KEY` links."""
    state = JiraState(version="8.5.0", server_title="Jira")
    jira_seed.load(state)
    base_url = base_url.rstrip("/")
    return [
        issue_to_ticket(issue_json(base_url, state, state.issue(key)), base_url=base_url)
        for key in DEMO_JIRA_ISSUES
    ]
