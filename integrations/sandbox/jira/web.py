"""The Jira simulator's web pages: `/` lists projects and issues with their links, and
`/browse/{KEY}` shows an issue, as Jira's own issue page does for the links Conduit shows.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from ..base import Request, Response
from ..pages import details, link_row, page
from .representations import jira_time
from .seed import ISSUE_TYPES, PRIORITIES, STATUSES

if TYPE_CHECKING:
    from .app import JiraSandbox

ISSUE_NOT_FOUND = "Issue {key} does not exist in this Jira simulator."


def home(app: JiraSandbox, request: Request) -> Response:
    state = app.state
    with app.lock:
        blocks = []
        for project in state.projects.values():
            issues = [i for i in state.issues.values() if i.project_key == project.key]
            rows = "".join(
                link_row(f"issue-{issue.key}", f"{issue.key} {issue.summary}",
                         f"{app.base_url}/browse/{issue.key}")
                for issue in issues
            )
            blocks.append(
                f'<h2 data-testid="project">{escape(project.name)} ({escape(project.key)})</h2>'
                f"<table>{rows}</table>"
            )
        consumers = len(state.consumers)
    link_note = (
        f"{consumers} Application Link(s) registered." if consumers
        else "No Application Link yet: a Conduit admin registers this server in the console."
    )
    content = (
        f"<h1>Jira simulator — {escape(state.server_title)}</h1>"
        '<p class="banner">This stands in for a Jira Server in the Conduit trial. Its address '
        f"for Conduit's console is <code id=\"base-url\">{escape(app.base_url)}</code>. "
        f'<span id="applinks">{escape(link_note)}</span></p>' + "".join(blocks)
    )
    return Response.html(page("Jira simulator", content))


def issue_page(app: JiraSandbox, request: Request, key: str) -> Response:
    state = app.state
    with app.lock:
        issue = state.issue(key)
        if issue is None:
            message = escape(ISSUE_NOT_FOUND.format(key=key.upper()))
            return Response.html(page("Issue not found", f"<h1>Issue not found</h1><p>{message}</p>"),
                                 status=404)
        assignee = state.users.get(issue.assignee) if issue.assignee else None
        reporter = state.users.get(issue.reporter)
        rows = [
            ("Type", ISSUE_TYPES.get(issue.issuetype_id, {}).get("name", issue.issuetype_id)),
            ("Status", STATUSES.get(issue.status_id, {}).get("name", issue.status_id)),
            ("Priority", PRIORITIES.get(issue.priority_id or "", "—")),
            ("Assignee", assignee.display_name if assignee else "Unassigned"),
            ("Reporter", reporter.display_name if reporter else issue.reporter),
            ("Labels", ", ".join(issue.labels) or "—"),
            ("Attachments",
             ", ".join(state.attachments[a].filename for a in issue.attachment_ids) or "—"),
            ("Updated", jira_time(issue.updated)),
        ]
        link = f"{app.base_url}/browse/{issue.key}"
        content = (
            f'<p><a href="/">← Jira simulator</a></p>'
            f'<h1><span id="issue-key">{escape(issue.key)}</span> '
            f'<span id="issue-summary">{escape(issue.summary)}</span></h1>{details(rows)}'
            f"<h2>Description</h2><p>{escape(issue.description or '—')}</p>"
            f"<h2>Link</h2><table>{link_row('issue-link', issue.key, link)}</table>"
        )
    return Response.html(page(f"[{issue.key}] {issue.summary}", content))
