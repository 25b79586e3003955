"""The trial's demo Asana tickets: a few tasks of the simulator's seed, mapped by this package
as importing them would store them (the manifest's `SandboxSpec.demo_tickets`).

Imported only when the trial seeds its board: it reads the simulator's seed modules.
"""

from __future__ import annotations

from integrations.asana.mapping import ticket_from_task
from integrations.providers import Ticket
from integrations.sandbox.asana.representations import task_record
from integrations.sandbox.asana.seed import WEBSITE_PROJECT, WEBSITE_TASK_FIRST, build_store

# "Draft homepage copy" (with files to copy to Jira), "Design new navigation",
# "Fix broken signup link".
DEMO_TASKS = tuple(str(int(WEBSITE_TASK_FIRST) + offset) for offset in range(3))


def demo_tickets(app_url: str) -> list[Ticket]:
    """The demo tasks with permalinks on `app_url` (the simulator's own address)."""
    store = build_store()
    return [
        ticket_from_task(task_record(store, store.tasks[gid], app_url.rstrip("/")),
                         project_gid=WEBSITE_PROJECT)
        for gid in DEMO_TASKS
    ]
