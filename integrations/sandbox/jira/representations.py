"""JSON shapes of Jira Server REST API v2 resources (users, projects, issues, attachments).

Field names and nesting follow the Jira Server REST API v2 reference
(https://docs.atlassian.com/software/jira/docs/api/REST/8.5.0/), e.g. `GET /rest/api/2/issue`
returns `{"id", "key", "self", "fields": {...}}` with `status.statusCategory`, users with `name`
(Server) rather than `accountId` (Cloud), and dates as `2024-03-01T09:00:00.000+0000`.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from . import seed
from .state import Attachment, Issue, JiraState, Project, User


def jira_time(epoch: float) -> str:
    """Jira's timestamp format: milliseconds and a +hhmm offset (always UTC here)."""
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    return f"{whole}.{int(epoch * 1000) % 1000:03d}+0000"


def avatar_urls(base_url: str, kind: str, owner: str) -> dict[str, str]:
    return {
        size: f"{base_url}/secure/{kind}avatar?size={name}&ownerId={quote(owner)}"
        for size, name in (
            ("48x48", "large"),
            ("24x24", "small"),
            ("16x16", "xsmall"),
            ("32x32", "medium"),
        )
    }


def user_json(base_url: str, user: User) -> dict[str, Any]:
    return {
        "self": f"{base_url}/rest/api/2/user?username={quote(user.name)}",
        "name": user.name,
        "key": user.key,
        "emailAddress": user.email,
        "avatarUrls": avatar_urls(base_url, "user", user.key),
        "displayName": user.display_name,
        "active": True,
        "timeZone": user.time_zone,
    }


def myself_json(base_url: str, user: User) -> dict[str, Any]:
    groups = ["jira-software-users"] + (["jira-administrators"] if user.admin else [])
    return {
        **user_json(base_url, user),
        "locale": "en_US",
        "groups": {"size": len(groups), "items": [{"name": name} for name in groups]},
        "applicationRoles": {"size": 1, "items": []},
        "expand": "groups,applicationRoles",
    }


def project_json(base_url: str, project: Project, *, detail: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "expand": "description,lead,url,projectKeys",
        "self": f"{base_url}/rest/api/2/project/{project.id}",
        "id": project.id,
        "key": project.key,
        "name": project.name,
        "avatarUrls": avatar_urls(base_url, "project", project.id),
        "projectTypeKey": "software",
    }
    if detail:
        body["description"] = ""
        body["components"] = []
        body["issueTypes"] = [
            issuetype_json(base_url, type_id) for type_id in project.issuetype_ids
        ]
        body["assigneeType"] = "UNASSIGNED"
        body["versions"] = []
        body["roles"] = {}
    return body


def issuetype_json(base_url: str, type_id: str) -> dict[str, Any]:
    issuetype = seed.ISSUE_TYPES[type_id]
    return {
        "self": f"{base_url}/rest/api/2/issuetype/{type_id}",
        "id": type_id,
        "description": issuetype["description"],
        "iconUrl": f"{base_url}/secure/viewavatar?size=xsmall&avatarId={type_id}&avatarType=issuetype",
        "name": issuetype["name"],
        "subtask": issuetype["subtask"],
        "avatarId": int(type_id),
    }


def priority_json(base_url: str, priority_id: str) -> dict[str, Any]:
    name = seed.PRIORITIES[priority_id]
    return {
        "self": f"{base_url}/rest/api/2/priority/{priority_id}",
        "iconUrl": f"{base_url}/images/icons/priorities/{name.lower()}.svg",
        "name": name,
        "id": priority_id,
    }


def status_json(base_url: str, status_id: str) -> dict[str, Any]:
    status = seed.STATUSES[status_id]
    category = seed.STATUS_CATEGORIES[status["category"]]
    return {
        "self": f"{base_url}/rest/api/2/status/{status_id}",
        "description": "",
        "iconUrl": f"{base_url}/images/icons/status_generic.gif",
        "name": status["name"],
        "id": status_id,
        "statusCategory": {
            "self": f"{base_url}/rest/api/2/statuscategory/{category['id']}",
            **category,
        },
    }


def severity_json(base_url: str, option_id: str) -> dict[str, Any]:
    return {
        "self": f"{base_url}/rest/api/2/customFieldOption/{option_id}",
        "value": seed.SEVERITY_OPTIONS[option_id],
        "id": option_id,
        "disabled": False,
    }


def attachment_json(base_url: str, state: JiraState, attachment: Attachment) -> dict[str, Any]:
    body = {
        "self": f"{base_url}/rest/api/2/attachment/{attachment.id}",
        "id": str(attachment.id),
        "filename": attachment.filename,
        "author": user_json(base_url, state.users[attachment.author]),
        "created": jira_time(attachment.created),
        "size": len(attachment.content),
        "mimeType": attachment.mime_type,
        "content": f"{base_url}/secure/attachment/{attachment.id}/{quote(attachment.filename)}",
    }
    if attachment.mime_type.startswith("image/"):
        body["thumbnail"] = (
            f"{base_url}/secure/thumbnail/{attachment.id}/_thumb_{attachment.id}.png"
        )
    return body


def issue_fields(base_url: str, state: JiraState, issue: Issue) -> dict[str, Any]:
    project = state.projects[issue.project_key]

    def user_or_none(name: str | None) -> dict[str, Any] | None:
        return user_json(base_url, state.users[name]) if name else None

    fields: dict[str, Any] = {
        "summary": issue.summary,
        "description": issue.description,
        "issuetype": issuetype_json(base_url, issue.issuetype_id),
        "project": project_json(base_url, project),
        "status": status_json(base_url, issue.status_id),
        "priority": priority_json(base_url, issue.priority_id) if issue.priority_id else None,
        "assignee": user_or_none(issue.assignee),
        "reporter": user_or_none(issue.reporter),
        "creator": user_or_none(issue.reporter),
        "labels": list(issue.labels),
        "duedate": issue.duedate,
        "created": jira_time(issue.created),
        "updated": jira_time(issue.updated),
        "resolution": None,
        "attachment": [
            attachment_json(base_url, state, state.attachments[attachment_id])
            for attachment_id in issue.attachment_ids
        ],
    }
    for field_id in seed.REQUIRED_CUSTOM_FIELDS.get((issue.project_key, issue.issuetype_id), []):
        option_id = issue.custom.get(field_id)
        fields[field_id] = severity_json(base_url, option_id) if option_id else None
    return fields


def issue_json(
    base_url: str, state: JiraState, issue: Issue, wanted: str | None = None
) -> dict[str, Any]:
    """The issue; `wanted` is the `fields` query parameter (`*all`, `summary,status`, `-labels`)."""
    fields = issue_fields(base_url, state, issue)
    if wanted:
        names = [name.strip() for name in wanted.split(",") if name.strip()]
        included = {name for name in names if not name.startswith(("-", "*"))}
        excluded = {name[1:] for name in names if name.startswith("-")}
        everything = any(name in ("*all", "*navigable") for name in names) or not included
        fields = {
            name: value
            for name, value in fields.items()
            if (everything or name in included) and name not in excluded
        }
    return {
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
        "id": str(issue.id),
        "self": f"{base_url}/rest/api/2/issue/{issue.id}",
        "key": issue.key,
        "fields": fields,
    }


def error_body(messages: list[str] | None = None, errors: dict[str, str] | None = None) -> dict:
    """Jira's error envelope: `{"errorMessages": [...], "errors": {"field": "message"}}`."""
    return {"errorMessages": list(messages or []), "errors": dict(errors or {})}
