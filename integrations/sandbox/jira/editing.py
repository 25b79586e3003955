"""Editing issues (`PUT /rest/api/2/issue/{idOrKey}` and the sandbox's own changes) and changelogs.

An edit body carries `fields` (set values) and/or `update` (operations such as
`{"labels": [{"add": "x"}]}`), as the Jira Server REST API v2 reference describes for "Edit issue"
(https://developer.atlassian.com/display/JIRADEV/JIRA+REST+API+examples).
Each change becomes a changelog item shaped like those in Jira's `jira:issue_updated` webhooks.
"""

from __future__ import annotations

import time
from typing import Any

from . import seed
from .fields import (
    FIELD_NAMES,
    NOT_ON_SCREEN,
    FieldErrors,
    custom_fields,
    parse_value,
)
from .state import Issue, JiraState

STATUS_INVALID = "Status '{value}' does not exist."


def editable_fields(issue: Issue) -> list[str]:
    return seed.EDIT_SCREEN + custom_fields(issue.project_key, issue.issuetype_id)


def _current(issue: Issue, field_id: str) -> Any:
    if field_id.startswith("customfield_"):
        return issue.custom.get(field_id)
    return {
        "summary": issue.summary,
        "description": issue.description,
        "priority": issue.priority_id,
        "assignee": issue.assignee,
        "labels": list(issue.labels),
        "duedate": issue.duedate,
    }[field_id]


def _store(issue: Issue, field_id: str, value: Any) -> None:
    if field_id.startswith("customfield_"):
        issue.custom[field_id] = value
        return
    attribute = {"priority": "priority_id"}.get(field_id, field_id)
    setattr(issue, attribute, value)


def _display(state: JiraState, field_id: str, value: Any) -> tuple[str | None, str | None]:
    """(from/to, fromString/toString) as Jira writes them into a changelog item."""
    if value is None:
        return None, None
    if field_id == "priority":
        return value, seed.PRIORITIES[value]
    if field_id == "assignee":
        return value, state.users[value].display_name
    if field_id == "labels":
        return None, " ".join(value)
    if field_id == "duedate":
        return value, f"{value} 00:00:00.0"
    if field_id.startswith("customfield_"):
        return value, seed.SEVERITY_OPTIONS[value]
    return None, value


def change_item(state: JiraState, field_id: str, old: Any, new: Any) -> dict[str, Any]:
    old_raw, old_text = _display(state, field_id, old)
    new_raw, new_text = _display(state, field_id, new)
    custom = field_id.startswith("customfield_")
    return {
        "field": FIELD_NAMES[field_id] if custom else field_id,
        "fieldtype": "custom" if custom else "jira",
        **({"fieldId": field_id} if custom else {}),
        "from": old_raw,
        "fromString": old_text,
        "to": new_raw,
        "toString": new_text,
    }


def _collect(issue: Issue, payload: dict[str, Any]) -> dict[str, Any]:
    """Fold `fields` and `update` operations into the wanted value of each field."""
    wanted: dict[str, Any] = dict(payload.get("fields") or {})
    for field_id, operations in (payload.get("update") or {}).items():
        value = wanted.get(
            field_id, _current(issue, field_id) if field_id in editable_fields(issue) else None
        )
        for operation in operations if isinstance(operations, list) else []:
            for verb, argument in operation.items():
                if verb == "set":
                    value = argument
                elif verb == "add" and isinstance(value, list):
                    value = value + [argument] if argument not in value else value
                elif verb == "remove" and isinstance(value, list):
                    value = [item for item in value if item != argument]
        wanted[field_id] = value
    return wanted


def edit_issue(state: JiraState, issue: Issue, payload: Any) -> list[dict[str, Any]]:
    """Validate and apply an edit body; returns the changelog items. Raises FieldErrors."""
    if not isinstance(payload, dict):
        raise FieldErrors(messages=["Can not deserialize instance of IssueUpdateBean out of input"])
    project = state.projects[issue.project_key]
    allowed = editable_fields(issue)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for field_id, value in _collect(issue, payload).items():
        if field_id not in allowed:
            errors[field_id] = NOT_ON_SCREEN.format(field=field_id)
            continue
        try:
            values[field_id] = parse_value(state, project, field_id, value)
        except ValueError as error:
            errors[field_id] = str(error)
    if errors:
        raise FieldErrors(errors)
    return apply_values(state, issue, values)


def apply_values(state: JiraState, issue: Issue, values: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for field_id, value in values.items():
        old = _current(issue, field_id)
        if old == value:
            continue
        _store(issue, field_id, value)
        items.append(change_item(state, field_id, old, value))
    if items:
        issue.updated = time.time()
    return items


def set_status(state: JiraState, issue: Issue, status: str) -> list[dict[str, Any]]:
    """Move an issue to a status by id or name (what a workflow transition does)."""
    status_id = next(
        (sid for sid, entry in seed.STATUSES.items() if status in (sid, entry["name"])), None
    )
    if status_id is None:
        raise FieldErrors(messages=[STATUS_INVALID.format(value=status)])
    if status_id == issue.status_id:
        return []
    old = issue.status_id
    issue.status_id = status_id
    issue.updated = time.time()
    return [
        {
            "field": "status",
            "fieldtype": "jira",
            "from": old,
            "fromString": seed.STATUSES[old]["name"],
            "to": status_id,
            "toString": seed.STATUSES[status_id]["name"],
        }
    ]
