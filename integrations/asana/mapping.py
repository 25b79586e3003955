"""Asana task JSON -> the unified Ticket (PRODUCT.md, "Unified ticket model").

Fields of https://developers.asana.com/reference/gettask: `name`, `notes` (plain text),
`assignee.name` / `assignee.email`, `completed`, `memberships[].section.name`, `permalink_url`.
Priority is the value of the enum custom field named "Priority" (its `enum_value.name`,
https://developers.asana.com/docs/custom-fields-guide); no other custom field is ever copied,
into the stored fields or the details.
"""

from __future__ import annotations

from typing import Any

from integrations.providers import Ticket

PROVIDER_KEY = "asana"
PRIORITY_FIELD_NAME = "priority"  # compared case-insensitively, surrounding spaces ignored
STATUS_DONE = "done"
STATUS_OPEN = "open"
STATUS_SEPARATOR = " · "


def ticket_from_task(
    task: dict[str, Any], *, project_gid: str = "", attachments: list[dict[str, Any]] | None = None
) -> Ticket:
    """The Ticket of one task. `project_gid` picks the section shown in the status when the
    task is in several projects; `attachments` (getAttachmentsForObject) go to the details."""
    assignee = task.get("assignee") or {}
    details: dict[str, Any] = {
        "tags": [tag.get("name", "") for tag in task.get("tags") or []],
        "due_on": task.get("due_on"),
        "projects": [
            {"id": project.get("gid", ""), "name": project.get("name", "")}
            for project in task.get("projects") or []
        ],
        "modified_at": task.get("modified_at"),
    }
    if attachments is not None:
        # Without download_url: a pre-signed link has no place in an API answer or a page.
        details["attachments"] = [
            {key: value for key, value in attachment_summary(a).items() if key != "download_url"}
            for a in attachments
        ]
    return Ticket(
        provider=PROVIDER_KEY,
        external_id=str(task["gid"]),
        url=task.get("permalink_url") or "",
        title=task.get("name") or "",
        description=task.get("notes") or "",
        assignee_name=assignee.get("name") or "",
        assignee_email=assignee.get("email") or "",
        status=status_of(task, project_gid=project_gid),
        priority=priority_of(task),
        details=details,
    )


def status_of(task: dict[str, Any], *, project_gid: str = "") -> str:
    """ "done" or "open", plus the section's name when known: "open · In progress"."""
    status = STATUS_DONE if task.get("completed") else STATUS_OPEN
    section = section_name(task, project_gid=project_gid)
    return f"{status}{STATUS_SEPARATOR}{section}" if section else status


def section_name(task: dict[str, Any], *, project_gid: str = "") -> str:
    memberships = [m for m in task.get("memberships") or [] if (m or {}).get("section")]
    if project_gid:
        preferred = [m for m in memberships if (m.get("project") or {}).get("gid") == project_gid]
        memberships = preferred or memberships
    if not memberships:
        return ""
    return str(memberships[0]["section"].get("name") or "")


def priority_of(task: dict[str, Any]) -> str:
    """The enum option chosen in the custom field named "Priority", else ""."""
    for field in task.get("custom_fields") or []:
        if not isinstance(field, dict):
            continue
        name = str(field.get("name") or "").strip().lower()
        subtype = field.get("resource_subtype") or field.get("type")
        if name == PRIORITY_FIELD_NAME and subtype == "enum":
            value = field.get("enum_value") or {}
            return str(value.get("name") or "")
    return ""


def attachment_summary(attachment: dict[str, Any]) -> dict[str, Any]:
    """What callers see of an attachment (https://developers.asana.com/reference/getattachment):
    `host` "asana" means a file Asana holds (download_url set, short-lived); any other host
    (dropbox, gdrive, box, onedrive, vimeo, external) is a link to another service."""
    host = attachment.get("host") or attachment.get("resource_subtype") or ""
    return {
        "id": str(attachment.get("gid") or ""),
        "name": attachment.get("name") or "",
        "host": host,
        "download_url": attachment.get("download_url") if host == "asana" else None,
        "view_url": attachment.get("view_url") or attachment.get("permanent_url") or "",
    }
