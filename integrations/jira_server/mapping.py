"""Jira Server JSON -> the unified ticket, and createmeta -> the linked-issue form.

Ticket fields follow PRODUCT.md's table: `key` (and the numeric id in details), `{base_url}/browse/
{key}`, `fields.summary`, `fields.description`, `fields.assignee.displayName` and
`.emailAddress`, `fields.status.name`, `fields.priority.name`; labels, due date, project,
attachments and `updated` are live-only details. Custom fields are never mapped onto a ticket.

The form comes from `issue/createmeta` (Jira 7 and 8,
https://docs.atlassian.com/software/jira/docs/api/REST/8.5.0/#api/2/issue-getCreateIssueMeta):
projects -> issue types -> fields with `required`, `schema` and `allowedValues`. Summary,
description, project, issue type and fields with a default are filled by Conduit or Jira; every
other required field is one the user must answer.
"""

from __future__ import annotations

from typing import Any

from integrations.jira_server.links import issue_url
from integrations.providers import Ticket

PROVIDER_KEY = "jira_server"
SUMMARY_MAX_LENGTH = 254  # Jira: "Summary must be less than 255 characters."
FILLED_BY_CONDUIT = frozenset({"project", "issuetype", "summary", "description", "attachment"})
VALUE_MISSING = "{name} is required."
VALUE_NOT_ALLOWED = "{name}: {value!r} is not one of the allowed values."
FIELD_UNSUPPORTED = "{name} ({type}) cannot be filled in from Conduit; give it a default in Jira."


def _name(value: Any, key: str = "name") -> str:
    return str(value.get(key) or "") if isinstance(value, dict) else ""


def issue_to_ticket(issue: dict[str, Any], *, base_url: str) -> Ticket:
    fields = issue.get("fields") or {}
    assignee = fields.get("assignee") or {}
    project = fields.get("project") or {}
    attachments = [
        {
            "name": attachment.get("filename", ""),
            "size": attachment.get("size"),
            "mime_type": attachment.get("mimeType", ""),
            "url": attachment.get("content", ""),
        }
        for attachment in fields.get("attachment") or []
    ]
    key = str(issue.get("key") or "")
    return Ticket(
        provider=PROVIDER_KEY,
        external_id=key,
        url=issue_url(base_url, key),
        title=str(fields.get("summary") or ""),
        description=str(fields.get("description") or ""),
        assignee_name=_name(assignee, "displayName"),
        assignee_email=_name(assignee, "emailAddress"),
        status=_name(fields.get("status")),
        priority=_name(fields.get("priority")),
        details={
            "id": str(issue.get("id") or ""),
            "issue_type": _name(fields.get("issuetype")),
            "project": {"key": project.get("key", ""), "name": project.get("name", "")},
            "labels": list(fields.get("labels") or []),
            "due_date": fields.get("duedate"),
            "attachments": attachments,
            "updated": fields.get("updated"),
        },
    )


# -- the create form ------------------------------------------------------------------------
def _allowed(values: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    return [
        {"id": str(value.get("id", "")),
         "name": str(value.get("name") or value.get("value") or value.get("key") or "")}
        for value in values or []
    ]


def field_form(field_id: str, meta: dict[str, Any]) -> dict[str, Any]:
    schema = meta.get("schema") or {}
    return {
        "id": field_id,
        "name": str(meta.get("name") or field_id),
        "required": bool(meta.get("required")),
        "type": str(schema.get("type") or ""),
        "items": str(schema.get("items") or ""),
        "allowed_values": _allowed(meta.get("allowedValues")),
    }


def user_fields(fields: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The required fields Conduit does not fill and Jira has no default for."""
    return [
        field_form(field_id, meta)
        for field_id, meta in fields.items()
        if meta.get("required") and field_id not in FILLED_BY_CONDUIT
        and not meta.get("hasDefaultValue")
    ]


def create_form(createmeta: dict[str, Any]) -> dict[str, Any]:
    """Projects, their issue types, and per type the fields the user must fill in."""
    projects = []
    for project in createmeta.get("projects") or []:
        issue_types = []
        for issuetype in project.get("issuetypes") or []:
            if issuetype.get("subtask"):
                continue  # a sub-task needs a parent issue: not what a linked issue is
            entry: dict[str, Any] = {"id": str(issuetype.get("id", "")),
                                     "name": str(issuetype.get("name", ""))}
            if "fields" in issuetype:
                entry["fields"] = user_fields(issuetype.get("fields") or {})
            issue_types.append(entry)
        projects.append({"key": str(project.get("key", "")), "name": str(project.get("name", "")),
                         "issue_types": issue_types})
    return {"projects": projects}


def field_value(form_field: dict[str, Any], value: Any) -> Any:
    """The REST value of one user-filled field; ValueError with a message for the user."""
    name, kind = form_field["name"], form_field["type"]
    allowed = form_field["allowed_values"]
    if value in (None, "", []):
        raise ValueError(VALUE_MISSING.format(name=name))
    if allowed:
        values = value if isinstance(value, list) else [value]
        chosen = []
        for item in values:
            match = next((a for a in allowed if str(item) in (a["id"], a["name"])), None)
            if match is None:
                raise ValueError(VALUE_NOT_ALLOWED.format(name=name, value=item))
            chosen.append({"id": match["id"]})
        return chosen if kind == "array" else chosen[0]
    if kind in ("string", "date", "datetime"):
        return str(value)
    if kind == "number":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(VALUE_NOT_ALLOWED.format(name=name, value=value)) from None
    if kind == "user":
        return {"name": str(value)}
    if kind == "array" and form_field["items"] == "string":
        return [str(item) for item in (value if isinstance(value, list) else [value])]
    raise ValueError(FIELD_UNSUPPORTED.format(name=name, type=kind))


def create_fields(*, project_key: str, issuetype_id: str, title: str, description: str,
                  form_fields: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, Any]:
    """The `fields` of POST /rest/api/2/issue; raises FieldValuesInvalid listing every problem."""
    fields: dict[str, Any] = {
        "project": {"key": project_key},
        "issuetype": {"id": issuetype_id},
        "summary": title.strip()[:SUMMARY_MAX_LENGTH],
        "description": description,
    }
    problems: dict[str, str] = {}
    for form_field in form_fields:
        try:
            fields[form_field["id"]] = field_value(form_field, values.get(form_field["id"]))
        except ValueError as error:
            problems[form_field["id"]] = str(error)
    if problems:
        raise FieldValuesInvalid(problems)
    return fields


class FieldValuesInvalid(ValueError):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems
