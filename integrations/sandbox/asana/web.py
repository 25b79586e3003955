"""The Asana simulator's web pages: `/` lists workspaces, projects and tasks with their links;
a task's permalink (`/1/{workspace}/task/{gid}`, `/0/{project}/{gid}`...) shows the task.

These are what "Open in Asana ↗" opens in the trial, where the simulator is its own app_url.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from integrations.sandbox.base import Request, Response
from integrations.sandbox.pages import details, link_row, page

from .representations import task_permalink

if TYPE_CHECKING:
    from .app import AsanaSandbox

TASKS_LISTED_PER_PROJECT = 12
TASK_NOT_FOUND = "There is no task {gid} in this Asana simulator."
PRIORITY_FIELD_NAME = "Priority"


def home(app: AsanaSandbox, request: Request) -> Response:
    """Every workspace's projects and their first tasks, each link ready to copy."""
    with app.lock:
        store = app.store
        sections = []
        for workspace in store.workspaces.values():
            projects = [p for p in store.projects.values() if p.workspace == workspace.gid]
            blocks = []
            for project in projects:
                tasks = store.project_tasks(project.gid)
                rows = "".join(
                    link_row(f"task-{task.gid}", task.name, task_permalink(task, app.app_url))
                    for task in tasks[:TASKS_LISTED_PER_PROJECT]
                )
                more = len(tasks) - TASKS_LISTED_PER_PROJECT
                note = f'<p class="muted">…and {more} more tasks.</p>' if more > 0 else ""
                private = "" if project.members is None else ' <span class="muted">(private)</span>'
                blocks.append(
                    f'<h3 data-testid="project">{escape(project.name)}{private}</h3>'
                    f"<table>{rows}</table>{note}"
                )
            sections.append(f"<h2>Workspace: {escape(workspace.name)}</h2>{''.join(blocks)}")
    content = (
        "<h1>Asana simulator</h1>"
        '<p class="banner">This stands in for Asana in the Conduit trial. Copy a task link '
        "below and paste it onto a Conduit board; Conduit reads it through this simulator's "
        "API, after you connect on its consent page.</p>" + "".join(sections)
    )
    return Response.html(page("Asana simulator", content))


def task_page(app: AsanaSandbox, request: Request, task_gid: str, **_: str) -> Response:
    """The task as Asana's app would show it: name, status, assignee, projects, notes."""
    with app.lock:
        store = app.store
        task = store.tasks.get(task_gid)
        if task is None:
            content = f"<h1>Task not found</h1><p>{escape(TASK_NOT_FOUND.format(gid=task_gid))}</p>"
            return Response.html(page("Task not found", content), status=404)
        assignee = store.users.get(task.assignee) if task.assignee else None
        projects = ", ".join(store.projects[m.project].name for m in task.memberships)
        priority = ""
        for field_gid, value in task.custom_values.items():
            custom_field = store.custom_fields.get(field_gid)
            if custom_field and custom_field.name == PRIORITY_FIELD_NAME:
                option = custom_field.option(str(value))
                priority = option.name if option else ""
        rows = [
            ("Status", "Completed" if task.completed else "Open"),
            ("Assignee", f"{assignee.name} <{assignee.email}>" if assignee else "Unassigned"),
            ("Projects", projects or "—"),
            ("Priority", priority or "—"),
            ("Due", task.due_on or "—"),
            ("Modified", task.modified_at),
        ]
        link = task_permalink(task, app.app_url)
        content = (
            f'<p><a href="/">← Asana simulator</a></p><h1 id="task-name">{escape(task.name)}</h1>'
            f"{details(rows)}<h2>Description</h2><p id=\"task-notes\">{escape(task.notes) or '—'}</p>"
            f"<h2>Link</h2><table>{link_row('task-link', task.name, link)}</table>"
        )
    return Response.html(page(f"{task.name} · Asana simulator", content))
