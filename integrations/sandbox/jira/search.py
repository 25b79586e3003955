"""`GET /rest/api/2/search` of the Jira Server simulator, for a small subset of JQL.

Understood: `project = KEY` (or `project in (A, B)`), optionally `AND text ~ "words"` (matched
case-insensitively against summary and description), or `key in (A-1, "B-2")`; then optionally
`ORDER BY updated|created|key ASC|DESC`. Anything else answers 400 with Jira's "Error in the JQL
Query" envelope. Paging with `startAt` / `maxResults` and the `fields` parameter follow the REST
API v2 reference (https://docs.atlassian.com/software/jira/docs/api/REST/8.5.0/#api/2/search-search).

As in Jira, every page runs the query afresh: `startAt` is an offset into the result as it is at
that moment, so an issue edited between two pages of an `ORDER BY updated` listing moves, and an
issue deleted shifts the rest. The `search_edit` control makes such a change happen right after
a given page. A `key in (...)` naming an issue that does not exist or that the user cannot see
answers 400 under the default `validateQuery=strict`, and a warning with `validateQuery=warn`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..base import Request, Response
from .editing import edit_issue
from .fields import FieldErrors
from .representations import error_body, issue_json

if TYPE_CHECKING:
    from .app import JiraSandbox
    from .state import Issue

ORDER = r"(?:\s+ORDER\s+BY\s+(?P<order>updated|created|key)(?:\s+(?P<direction>ASC|DESC))?)?\s*$"
JQL = re.compile(
    r'^\s*project\s*(?:=\s*"?(?P<one>[\w-]+)"?|in\s*\((?P<many>[^)]*)\))'
    r'(?:\s+AND\s+text\s*~\s*"(?P<text>(?:[^"\\]|\\.)*)")?' + ORDER,
    re.IGNORECASE,
)
KEYS_JQL = re.compile(r"^\s*key\s+in\s*\((?P<keys>[^)]*)\)" + ORDER, re.IGNORECASE)
JQL_ERROR = "Error in the JQL Query: the simulator understands project = KEY [AND text ~ \"...\"]"
PROJECT_UNKNOWN = "The value '{key}' does not exist for the field 'project'."
KEY_UNKNOWN = "An issue with key '{key}' does not exist for field 'key'."
PAGING_INVALID = "startAt and maxResults must be whole numbers."


def _number(request: Request, name: str, default: int) -> int | None:
    value = request.arg(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        return None


def _key_order(issue: Issue) -> tuple[str, int]:
    return (issue.project_key, int(issue.key.rsplit("-", 1)[1]))


def _by_keys(app: JiraSandbox, request: Request, user: str,
             keys: list[str]) -> tuple[list[Issue], list[str]] | Response:
    visible = {}
    missing = []
    for key in keys:
        issue = app.state.issue(key)
        if issue is None or not app.state.can_browse(user, issue.project_key):
            missing.append(KEY_UNKNOWN.format(key=key))
        else:
            visible[issue.id] = issue
    if missing and (request.arg("validateQuery") or "strict").lower() in ("strict", "true"):
        return Response.json(error_body(missing), status=400)
    return list(visible.values()), missing


def _by_project(app: JiraSandbox, user: str, match: re.Match[str]) -> list[Issue] | Response:
    keys = [match["one"]] if match["one"] else [
        part.strip().strip('"') for part in (match["many"] or "").split(",") if part.strip()
    ]
    text = (match["text"] or "").replace('\\"', '"').lower()
    for key in keys:
        if key.upper() not in app.state.projects:
            return Response.json(error_body([PROJECT_UNKNOWN.format(key=key)]), status=400)
    return [
        issue for issue in app.state.issues.values()
        if issue.project_key in {key.upper() for key in keys}
        and app.state.can_browse(user, issue.project_key)
        and (not text or text in f"{issue.summary} {issue.description or ''}".lower())
    ]


def search(app: JiraSandbox, request: Request, user: str) -> Response:
    jql = request.arg("jql") or ""
    match = JQL.match(jql)
    keys_match = None if match else KEYS_JQL.match(jql)
    if match is None and keys_match is None:
        return Response.json(error_body([JQL_ERROR]), status=400)
    start, size = _number(request, "startAt", 0), _number(request, "maxResults", 50)
    if start is None or size is None:
        return Response.json(error_body([PAGING_INVALID]), status=400)
    start, size = max(0, start), min(1000, max(0, size))
    ordering = match or keys_match
    warnings: list[str] = []
    with app.state.lock:
        if keys_match is not None:
            keys = [part.strip().strip('"') for part in keys_match["keys"].split(",")
                    if part.strip()]
            found = _by_keys(app, request, user, keys)
            if isinstance(found, Response):
                return found
            found, warnings = found
        else:
            found = _by_project(app, user, match)
            if isinstance(found, Response):
                return found
        order = (ordering["order"] or "key").lower()
        found.sort(
            key=_key_order if order == "key" else lambda issue: getattr(issue, order),
            reverse=(ordering["direction"] or "ASC").upper() == "DESC",
        )
        page = found[start:start + size]
        issues = [issue_json(app.base_url, app.state, issue, request.arg("fields"))
                  for issue in page]
        changed = _apply_search_edits(app, start)
    for issue, changelog in changed:
        app.webhooks.fire(app.base_url, "jira:issue_updated", issue, "admin", changelog)
    body: dict[str, Any] = {"expand": "schema,names", "startAt": start, "maxResults": size,
                            "total": len(found), "issues": issues}
    if warnings:
        body["warningMessages"] = warnings
    return Response.json(body)


def _apply_search_edits(app: JiraSandbox, start: int) -> list[tuple[Issue, list[dict]]]:
    """Run the queued `search_edit` changes due after the page at `start` (state lock held);
    returns the edited issues with their changelogs, for webhooks fired after the lock."""
    due = [edit for edit in app.state.search_edits if edit["after_start_at"] == start]
    app.state.search_edits[:] = [edit for edit in app.state.search_edits if edit not in due]
    changed = []
    for edit in due:
        issue = app.state.issue(edit["issue"])
        if issue is None:
            continue
        if edit.get("delete"):
            del app.state.issues[issue.id]
            continue
        try:
            changelog = edit_issue(app.state, issue, {"fields": edit.get("fields") or {}})
        except FieldErrors:
            continue
        if changelog:
            changed.append((issue, changelog))
    return changed
