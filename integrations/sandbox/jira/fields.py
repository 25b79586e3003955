"""Issue fields: createmeta, and validation of create (POST) and edit (PUT) bodies.

Follows the Jira Server REST API v2 reference for `/rest/api/2/issue/createmeta` (projects →
issuetypes → fields with `required`, `schema`, `allowedValues`, expanded by
`expand=projects.issuetypes.fields`) and the field-level errors Jira answers with 400,
`{"errorMessages": [], "errors": {"summary": "You must specify a summary of the issue."}}`
(https://developer.atlassian.com/server/jira/platform/jira-rest-api-example-create-issue-7897248,
https://developer.atlassian.com/server/jira/platform/jira-rest-api-example-discovering-meta-data-for-creating-issues-6291669).
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from . import seed
from .representations import issuetype_json, priority_json, project_json, severity_json
from .state import Issue, JiraState, Project

SUMMARY_REQUIRED = "You must specify a summary of the issue."
SUMMARY_TOO_LONG = "Summary must be less than 255 characters."
PROJECT_REQUIRED = "project is required"
PROJECT_INVALID = "valid project is required"
ISSUETYPE_REQUIRED = "issue type is required"
ISSUETYPE_INVALID = "valid issue type is required"
NOT_ON_SCREEN = "Field '{field}' cannot be set. It is not on the appropriate screen, or unknown."
FIELD_REQUIRED = "{name} is required."
PRIORITY_INVALID = "The priority selected is invalid."
USER_UNKNOWN = "User '{name}' does not exist."
USER_NOT_ASSIGNABLE = "User '{name}' cannot be assigned issues."
LABEL_WITH_SPACES = "The label '{label}' contains spaces which is invalid."
DATE_INVALID = "Error parsing date string: {value}"
OPTION_INVALID = "Option value '{value}' is not valid"
OPTION_ID_INVALID = "Option id '{value}' is not valid"
NOT_A_STRING = "Operation value must be a string"
NOT_AN_OBJECT = "data was not an object"
NOT_AN_ARRAY = "data was not an array"


class FieldErrors(Exception):
    """400 with Jira's error envelope."""

    def __init__(self, errors: dict[str, str] | None = None, messages: list[str] | None = None):
        super().__init__(errors or messages)
        self.errors = errors or {}
        self.messages = messages or []


# -- metadata ---------------------------------------------------------------------------------
FIELD_NAMES = {
    "project": "Project",
    "issuetype": "Issue Type",
    "summary": "Summary",
    "reporter": "Reporter",
    "priority": "Priority",
    "assignee": "Assignee",
    "labels": "Labels",
    "duedate": "Due Date",
    "description": "Description",
    "attachment": "Attachment",
    seed.SEVERITY_FIELD: "Severity",
}


def custom_fields(project_key: str, issuetype_id: str) -> list[str]:
    return seed.REQUIRED_CUSTOM_FIELDS.get((project_key, issuetype_id), [])


def field_meta(base_url: str, project: Project, issuetype_id: str, field_id: str) -> dict[str, Any]:
    schemas: dict[str, dict[str, Any]] = {
        "project": {"type": "project", "system": "project"},
        "issuetype": {"type": "issuetype", "system": "issuetype"},
        "summary": {"type": "string", "system": "summary"},
        "reporter": {"type": "user", "system": "reporter"},
        "priority": {"type": "priority", "system": "priority"},
        "assignee": {"type": "user", "system": "assignee"},
        "labels": {"type": "array", "items": "string", "system": "labels"},
        "duedate": {"type": "date", "system": "duedate"},
        "description": {"type": "string", "system": "description"},
        "attachment": {"type": "array", "items": "attachment", "system": "attachment"},
        seed.SEVERITY_FIELD: {
            "type": "option",
            "custom": "com.atlassian.jira.plugin.system.customfieldtypes:select",
            "customId": 10200,
        },
    }
    meta: dict[str, Any] = {
        "required": field_id in ("project", "issuetype", "summary")
        or field_id in custom_fields(project.key, issuetype_id),
        "schema": schemas[field_id],
        "name": FIELD_NAMES[field_id],
        "key": field_id,
        "hasDefaultValue": field_id in ("priority", "reporter"),
        "operations": ["add", "set", "remove"] if field_id == "labels" else ["set"],
    }
    if field_id in ("issuetype", "attachment"):
        meta["operations"] = []
    if field_id == "project":
        meta["allowedValues"] = [project_json(base_url, project)]
    elif field_id == "issuetype":
        meta["allowedValues"] = [issuetype_json(base_url, issuetype_id)]
    elif field_id == "priority":
        meta["allowedValues"] = [priority_json(base_url, pid) for pid in seed.PRIORITIES]
        meta["defaultValue"] = priority_json(base_url, seed.DEFAULT_PRIORITY_ID)
    elif field_id == seed.SEVERITY_FIELD:
        meta["allowedValues"] = [severity_json(base_url, oid) for oid in seed.SEVERITY_OPTIONS]
    elif field_id == "assignee":
        meta["autoCompleteUrl"] = (
            f"{base_url}/rest/api/latest/user/assignable/search?issueKey=null&username="
        )
    elif field_id == "reporter":
        meta["autoCompleteUrl"] = f"{base_url}/rest/api/latest/user/search?username="
    elif field_id == "labels":
        meta["autoCompleteUrl"] = f"{base_url}/rest/api/1.0/labels/suggest?query="
    return meta


def screen_fields(project: Project, issuetype_id: str) -> list[str]:
    return seed.CREATE_SCREEN + custom_fields(project.key, issuetype_id)


def createmeta(
    base_url: str, state: JiraState, user: str, query: dict[str, list[str]]
) -> dict[str, Any]:
    """`GET /rest/api/2/issue/createmeta`: projects the user may create issues in."""

    def listed(name: str) -> set[str]:
        return {
            part.strip()
            for value in query.get(name, [])
            for part in value.split(",")
            if part.strip()
        }

    project_filter = listed("projectKeys") | listed("projectIds")
    type_ids, type_names = listed("issuetypeIds"), listed("issuetypeNames")
    expand_fields = "projects.issuetypes.fields" in ",".join(query.get("expand", []))
    projects = []
    for project in state.projects.values():
        if user not in project.editors:
            continue
        if project_filter and not {project.key, project.id} & project_filter:
            continue
        issuetypes = []
        for type_id in project.issuetype_ids:
            name = seed.ISSUE_TYPES[type_id]["name"]
            if (type_ids or type_names) and type_id not in type_ids and name not in type_names:
                continue
            entry = {**issuetype_json(base_url, type_id), "expand": "fields"}
            if expand_fields:
                entry["fields"] = {
                    field_id: field_meta(base_url, project, type_id, field_id)
                    for field_id in screen_fields(project, type_id)
                }
            issuetypes.append(entry)
        body = project_json(base_url, project)
        projects.append(
            {
                "expand": "issuetypes",
                "self": body["self"],
                "id": body["id"],
                "key": body["key"],
                "name": body["name"],
                "avatarUrls": body["avatarUrls"],
                "issuetypes": issuetypes,
            }
        )
    return {"expand": "projects", "projects": projects}


def paginated(values: list[Any], query: dict[str, list[str]]) -> dict[str, Any]:
    """The page shape of the Jira 8.4+ createmeta replacements."""
    start = int((query.get("startAt") or ["0"])[0] or 0)
    size = int((query.get("maxResults") or ["50"])[0] or 50)
    page = values[start : start + size]
    return {
        "maxResults": size,
        "startAt": start,
        "total": len(values),
        "isLast": start + size >= len(values),
        "values": page,
    }


# -- validation --------------------------------------------------------------------------------
def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(NOT_A_STRING)
    return value


def _priority(value: Any) -> str:
    if not isinstance(value, dict):
        raise ValueError(NOT_AN_OBJECT)
    for priority_id, name in seed.PRIORITIES.items():
        if str(value.get("id")) == priority_id or value.get("name") == name:
            return priority_id
    raise ValueError(PRIORITY_INVALID)


def _user(state: JiraState, value: Any, project: Project, *, assignee: bool) -> str | None:
    if value is None and assignee:
        return None
    if not isinstance(value, dict):
        raise ValueError(NOT_AN_OBJECT)
    name = value.get("name") or value.get("key")
    match = next((u for u in state.users.values() if name in (u.name, u.key)), None)
    if match is None:
        raise ValueError(USER_UNKNOWN.format(name=name))
    if assignee and match.name not in project.viewers:
        raise ValueError(USER_NOT_ASSIGNABLE.format(name=match.name))
    return match.name


def _labels(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(NOT_AN_ARRAY)
    for label in value:
        if not isinstance(label, str):
            raise ValueError(NOT_A_STRING)
        if " " in label:
            raise ValueError(LABEL_WITH_SPACES.format(label=label))
    return list(value)


def _date(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(_string(value)).isoformat()
    except ValueError:
        raise ValueError(DATE_INVALID.format(value=value)) from None


def _option(value: Any) -> str:
    if not isinstance(value, dict):
        raise ValueError(NOT_AN_OBJECT)
    if "id" in value:
        if str(value["id"]) not in seed.SEVERITY_OPTIONS:
            raise ValueError(OPTION_ID_INVALID.format(value=value["id"]))
        return str(value["id"])
    for option_id, label in seed.SEVERITY_OPTIONS.items():
        if value.get("value") == label:
            return option_id
    raise ValueError(OPTION_INVALID.format(value=value.get("value")))


def parse_value(state: JiraState, project: Project, field_id: str, value: Any) -> Any:
    """The stored form of one field value; ValueError carries Jira's message."""
    if field_id == "summary":
        summary = _string(value).strip()
        if not summary:
            raise ValueError(SUMMARY_REQUIRED)
        if len(summary) > 254:
            raise ValueError(SUMMARY_TOO_LONG)
        return summary
    if field_id == "description":
        return None if value is None else _string(value)
    if field_id == "priority":
        return _priority(value)
    if field_id in ("assignee", "reporter"):
        return _user(state, value, project, assignee=field_id == "assignee")
    if field_id == "labels":
        return _labels(value)
    if field_id == "duedate":
        return _date(value)
    if field_id.startswith("customfield_"):
        if value is None:
            raise ValueError(FIELD_REQUIRED.format(name=FIELD_NAMES[field_id]))
        return _option(value)
    raise ValueError(NOT_ON_SCREEN.format(field=field_id))


def _resolve_context(state: JiraState, user: str, fields: dict[str, Any]) -> tuple[Project, str]:
    errors: dict[str, str] = {}
    project_ref, type_ref = fields.get("project"), fields.get("issuetype")
    project = None
    if not isinstance(project_ref, dict) or not (project_ref.get("id") or project_ref.get("key")):
        errors["project"] = PROJECT_REQUIRED
    else:
        project = state.project(project_ref.get("id") or project_ref.get("key"))
        if project is None or user not in project.viewers:
            errors["project"] = PROJECT_INVALID
            project = None
    type_id = None
    if not isinstance(type_ref, dict) or not (type_ref.get("id") or type_ref.get("name")):
        errors["issuetype"] = ISSUETYPE_REQUIRED
    elif project is not None:
        type_id = next(
            (
                tid
                for tid in project.issuetype_ids
                if str(type_ref.get("id")) == tid
                or type_ref.get("name") == seed.ISSUE_TYPES[tid]["name"]
            ),
            None,
        )
        if type_id is None:
            errors["issuetype"] = ISSUETYPE_INVALID
    if errors or project is None or type_id is None:
        raise FieldErrors(errors)
    return project, type_id


def create_issue(state: JiraState, user: str, payload: Any) -> Issue:
    """Validate a `POST /rest/api/2/issue` body and add the issue; raises FieldErrors."""
    if not isinstance(payload, dict) or not isinstance(payload.get("fields", {}), dict):
        raise FieldErrors(messages=["Can not deserialize instance of IssueUpdateBean out of input"])
    fields = dict(payload.get("fields") or {})
    project, type_id = _resolve_context(state, user, fields)
    if user not in project.editors:
        raise FieldErrors({"project": PROJECT_INVALID})
    allowed = set(screen_fields(project, type_id)) - {"attachment"}
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for field_id, value in fields.items():
        if field_id in ("project", "issuetype"):
            continue
        if field_id not in allowed:
            errors[field_id] = NOT_ON_SCREEN.format(field=field_id)
            continue
        try:
            values[field_id] = parse_value(state, project, field_id, value)
        except ValueError as error:
            errors[field_id] = str(error)
    if "summary" not in fields:
        errors["summary"] = SUMMARY_REQUIRED
    for field_id in custom_fields(project.key, type_id):
        if field_id not in fields:
            errors[field_id] = FIELD_REQUIRED.format(name=FIELD_NAMES[field_id])
    if errors:
        raise FieldErrors(errors)
    issue_id, key = state.new_issue_key(project.key)
    now = time.time()
    issue = Issue(
        id=issue_id,
        key=key,
        project_key=project.key,
        issuetype_id=type_id,
        summary=values["summary"],
        description=values.get("description"),
        priority_id=values.get("priority", seed.DEFAULT_PRIORITY_ID),
        assignee=values.get("assignee"),
        reporter=values.get("reporter") or user,
        labels=values.get("labels", []),
        duedate=values.get("duedate"),
        custom={k: v for k, v in values.items() if k.startswith("customfield_")},
        status_id=seed.INITIAL_STATUS_ID,
        created=now,
        updated=now,
    )
    state.issues[issue.id] = issue
    return issue
