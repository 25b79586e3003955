"""`GET /rest/api/2/search` of the Jira Server simulator, for a small subset of JQL.

Understood: `project = KEY` (or `project in (A, B)`), optionally `AND text ~ "words"` (matched
case-insensitively against summary and description), optionally `ORDER BY updated|created|key
ASC|DESC`. Anything else answers 400 with Jira's "Error in the JQL Query" envelope. Paging with
`startAt` / `maxResults` and the `fields` parameter follow the REST API v2 reference
(https://docs.atlassian.com/software/jira/docs/api/REST/8.5.0/#api/2/search-search).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..base import Request, Response
from .representations import error_body, issue_json

if TYPE_CHECKING:
    from .app import JiraSandbox

JQL = re.compile(
    r'^\s*project\s*(?:=\s*"?(?P<one>[\w-]+)"?|in\s*\((?P<many>[^)]*)\))'
    r'(?:\s+AND\s+text\s*~\s*"(?P<text>(?:[^"\\]|\\.)*)")?'
    r"(?:\s+ORDER\s+BY\s+(?P<order>updated|created|key)(?:\s+(?P<direction>ASC|DESC))?)?\s*$",
    re.IGNORECASE,
)
JQL_ERROR = "Error in the JQL Query: the simulator understands project = KEY [AND text ~ \"...\"]"
PROJECT_UNKNOWN = "The value '{key}' does not exist for the field 'project'."


def search(app: JiraSandbox, request: Request, user: str) -> Response:
    match = JQL.match(request.arg("jql") or "")
    if match is None:
        return Response.json(error_body([JQL_ERROR]), status=400)
    keys = [match["one"]] if match["one"] else [
        part.strip().strip('"') for part in (match["many"] or "").split(",") if part.strip()
    ]
    text = (match["text"] or "").replace('\\"', '"').lower()
    start = max(0, int(request.arg("startAt") or 0))
    size = min(1000, max(0, int(request.arg("maxResults") or 50)))
    with app.state.lock:
        for key in keys:
            if key.upper() not in app.state.projects:
                return Response.json(error_body([PROJECT_UNKNOWN.format(key=key)]), status=400)
        found = [
            issue for issue in app.state.issues.values()
            if issue.project_key in {key.upper() for key in keys}
            and app.state.can_browse(user, issue.project_key)
            and (not text or text in f"{issue.summary} {issue.description or ''}".lower())
        ]
        order = (match["order"] or "key").lower()
        found.sort(
            key=lambda issue: (issue.project_key, int(issue.key.rsplit("-", 1)[1]))
            if order == "key" else getattr(issue, order),
            reverse=(match["direction"] or "ASC").upper() == "DESC",
        )
        page = found[start:start + size]
        issues = [issue_json(app.base_url, app.state, issue, request.arg("fields"))
                  for issue in page]
    return Response.json({"expand": "schema,names", "startAt": start, "maxResults": size,
                          "total": len(found), "issues": issues})
