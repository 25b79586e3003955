"""Asana's JSON shapes for the simulator's records, and `opt_fields` selection.

https://developers.asana.com/docs/inputoutput-options: lists return *compact* records (gid,
resource_type, name, plus resource_subtype for tasks and attachments); a single record returns its
full form with nested objects compact; `opt_fields=a,b.c` returns the gid plus exactly the fields
named ("the id of included objects will always be returned": the OAS `opt_fields` parameter); a
nested object named without sub-fields comes back as its gid and resource_type. Fields that the
API reference marks "[Opt In]" are only returned when asked for.
"""

from __future__ import annotations

from typing import Any

from integrations.sandbox.asana.store import (
    Attachment,
    CustomField,
    Project,
    Section,
    Store,
    Tag,
    Task,
    User,
    Workspace,
)

COMPACT_KEYS = ("gid", "resource_type", "name", "resource_subtype")
# Fields marked "[Opt In]" in the OAS (TaskBase, TaskCompact): only with opt_fields.
OPT_IN_FIELDS = frozenset(
    {
        "html_notes",
        "num_subtasks",
        "dependencies",
        "dependents",
        "is_rendered_as_separator",
        "created_by",
        "external",
    }
)
# Nested values that the full form returns whole rather than compact.
NESTED_FULL_FIELDS = frozenset({"custom_fields", "enum_options", "photo", "filters"})


# -- field selection ---------------------------------------------------------------------------
def parse_opt_fields(raw: str | list[str] | None) -> dict[str, dict] | None:
    """`a,b.c,b.d` -> {"a": {}, "b": {"c": {}, "d": {}}}; None when no selection was asked."""
    if raw is None:
        return None
    names = raw.split(",") if isinstance(raw, str) else list(raw)
    tree: dict[str, dict] = {}
    for name in names:
        node = tree
        for part in name.strip().split("."):
            if part:
                node = node.setdefault(part, {})
    return tree


def render(
    record: dict[str, Any],
    fields: dict[str, dict] | None,
    *,
    compact: bool,
    compact_keys: tuple[str, ...] = COMPACT_KEYS,
) -> dict:
    if fields is not None:
        return _select(record, fields)
    if compact:
        return {key: record[key] for key in compact_keys if key in record}
    return {
        key: (value if key in NESTED_FULL_FIELDS else _compact_nested(value))
        for key, value in record.items()
        if key not in OPT_IN_FIELDS
    }


def _compact_nested(value: Any) -> Any:
    if isinstance(value, list):
        return [_compact_nested(item) for item in value]
    if isinstance(value, dict):
        if "gid" in value:
            return {key: value[key] for key in COMPACT_KEYS if key in value}
        return {key: _compact_nested(item) for key, item in value.items()}
    return value


def _select(record: dict[str, Any], fields: dict[str, dict]) -> dict:
    selected: dict[str, Any] = {"gid": record["gid"]} if "gid" in record else {}
    for name, children in fields.items():
        if name in record:
            selected[name] = _select_value(record[name], children)
    return selected


def _select_value(value: Any, children: dict[str, dict]) -> Any:
    if isinstance(value, list):
        return [_select_value(item, children) for item in value]
    if isinstance(value, dict):
        if children:
            return _select(value, children)
        if "gid" in value:
            return {key: value[key] for key in ("gid", "resource_type") if key in value}
    return value


# -- records -----------------------------------------------------------------------------------
def workspace_record(workspace: Workspace) -> dict:
    return {
        "gid": workspace.gid,
        "resource_type": "workspace",
        "name": workspace.name,
        "email_domains": list(workspace.email_domains),
        "is_organization": workspace.is_organization,
    }


def user_record(store: Store, user: User, *, with_workspaces: bool = False) -> dict:
    record = {
        "gid": user.gid,
        "resource_type": "user",
        "name": user.name,
        "email": user.email,
        "photo": None,
    }
    if with_workspaces:
        record["workspaces"] = [workspace_record(store.workspaces[gid]) for gid in user.workspaces]
    return record


def _user_ref(store: Store, gid: str | None) -> dict | None:
    return user_record(store, store.users[gid]) if gid else None


def section_record(store: Store, section: Section) -> dict:
    project = {"gid": section.project, "resource_type": "project"}
    project["name"] = store.projects[section.project].name
    return {
        "gid": section.gid,
        "resource_type": "section",
        "name": section.name,
        "created_at": section.created_at,
        "project": project,
        "projects": [project],
    }


def tag_record(store: Store, tag: Tag, app_url: str) -> dict:
    return {
        "gid": tag.gid,
        "resource_type": "tag",
        "name": tag.name,
        "color": tag.color,
        "notes": tag.notes,
        "created_at": tag.created_at,
        "followers": [],
        "workspace": workspace_record(store.workspaces[tag.workspace]),
        "permalink_url": f"{app_url}/0/{tag.gid}/list",
    }


def custom_field_record(field: CustomField, value: Any = None, *, as_value: bool = False) -> dict:
    """The field's definition, or (as_value) its value on a task as in TaskResponse.custom_fields."""
    record: dict[str, Any] = {
        "gid": field.gid,
        "resource_type": "custom_field",
        "name": field.name,
        "type": field.subtype,
        "resource_subtype": field.subtype,
        "representation_type": field.subtype,
        "description": field.description,
        "is_formula_field": False,
        "is_global_to_workspace": True,
        "has_notifications_enabled": True,
        "id_prefix": None,
    }
    if field.subtype == "enum":
        record["enum_options"] = [_enum_option(option) for option in field.enum_options]
    if field.subtype == "number":
        record["precision"] = field.precision
        record["format"] = "none"
    if not as_value:
        return record
    record["enabled"] = True
    if field.subtype == "enum":
        option = field.option(value) if value else None
        record["enum_value"] = _enum_option(option) if option else None
        record["display_value"] = option.name if option else None
    elif field.subtype == "number":
        record["number_value"] = value
        record["display_value"] = None if value is None else f"{value:.{field.precision}f}"
    else:
        record["text_value"] = value
        record["display_value"] = value
    return record


def _enum_option(option) -> dict:
    return {
        "gid": option.gid,
        "resource_type": "enum_option",
        "name": option.name,
        "enabled": option.enabled,
        "color": option.color,
    }


def project_record(store: Store, project: Project, app_url: str) -> dict:
    return {
        "gid": project.gid,
        "resource_type": "project",
        "name": project.name,
        "archived": project.archived,
        "color": project.color,
        "created_at": project.created_at,
        "modified_at": project.modified_at,
        "notes": project.notes,
        "html_notes": f"<body>{_escape(project.notes)}</body>",
        "public": project.members is None,
        "privacy_setting": "public_to_workspace" if project.members is None else "private",
        "default_view": "list",
        "due_on": None,
        "start_on": None,
        "completed": False,
        "completed_at": None,
        "completed_by": None,
        "owner": _user_ref(store, project.owner),
        "members": [_user_ref(store, gid) for gid in (project.members or [])],
        "followers": [_user_ref(store, project.owner)] if project.owner else [],
        "custom_fields": [
            custom_field_record(store.custom_fields[gid]) for gid in project.custom_fields
        ],
        "workspace": workspace_record(store.workspaces[project.workspace]),
        "permalink_url": f"{app_url}/1/{project.workspace}/project/{project.gid}",
    }


def task_permalink(task: Task, app_url: str) -> str:
    """The spec's example form: `https://app.asana.com/1/{workspace}/task/{task}` (TaskResponse)."""
    return f"{app_url}/1/{task.workspace}/task/{task.gid}"


def task_record(store: Store, task: Task, app_url: str) -> dict:
    projects = [store.projects[membership.project] for membership in task.memberships]
    return {
        "gid": task.gid,
        "resource_type": "task",
        "resource_subtype": "default_task",
        "name": task.name,
        "notes": task.notes,
        "html_notes": f"<body>{_escape(task.notes)}</body>",
        "completed": task.completed,
        "completed_at": task.completed_at,
        "completed_by": None,
        "assignee": _user_ref(store, task.assignee),
        "assignee_status": "upcoming",
        "created_at": task.created_at,
        "created_by": (
            {"gid": task.created_by, "resource_type": "user"} if task.created_by else None
        ),
        "modified_at": task.modified_at,
        "due_on": task.due_on,
        "due_at": None,
        "start_on": None,
        "start_at": None,
        "actual_time_minutes": None,
        "followers": [_user_ref(store, gid) for gid in task.followers],
        "hearted": False,
        "hearts": [],
        "liked": False,
        "likes": [],
        "num_hearts": 0,
        "num_likes": 0,
        "num_subtasks": 0,
        "dependencies": [],
        "dependents": [],
        "is_rendered_as_separator": False,
        "memberships": [
            {
                "project": {"gid": m.project, "resource_type": "project", "name": p.name},
                "section": _section_ref(store, m.section),
            }
            for m, p in zip(task.memberships, projects, strict=True)
        ],
        "parent": None,
        "projects": [{"gid": p.gid, "resource_type": "project", "name": p.name} for p in projects],
        "tags": [
            {"gid": gid, "resource_type": "tag", "name": store.tags[gid].name} for gid in task.tags
        ],
        "workspace": workspace_record(store.workspaces[task.workspace]),
        "custom_fields": _task_custom_fields(store, task, projects),
        "permalink_url": task_permalink(task, app_url),
    }


def _section_ref(store: Store, gid: str | None) -> dict | None:
    if gid is None:
        return None
    return {"gid": gid, "resource_type": "section", "name": store.sections[gid].name}


def _task_custom_fields(store: Store, task: Task, projects: list[Project]) -> list[dict]:
    """The fields of the task's projects (with null values where unset), then any others set."""
    field_gids: list[str] = []
    for project in projects:
        field_gids += [gid for gid in project.custom_fields if gid not in field_gids]
    field_gids += [gid for gid in task.custom_values if gid not in field_gids]
    return [
        custom_field_record(store.custom_fields[gid], task.custom_values.get(gid), as_value=True)
        for gid in field_gids
    ]


def attachment_record(
    store: Store, attachment: Attachment, *, app_url: str, download_url: str | None
) -> dict:
    task = store.tasks[attachment.parent]
    hosted = attachment.host == "asana"
    record: dict[str, Any] = {
        "gid": attachment.gid,
        "resource_type": "attachment",
        "name": attachment.name,
        "resource_subtype": attachment.host,
        "host": attachment.host,
        "created_at": attachment.created_at,
        "download_url": download_url if hosted else None,
        "permanent_url": (
            f"{app_url}/app/asana/-/get_asset?asset_id={attachment.gid}" if hosted else None
        ),
        "view_url": download_url if hosted else attachment.view_url,
        "parent": {
            "gid": task.gid,
            "resource_type": "task",
            "name": task.name,
            "resource_subtype": "default_task",
        },
    }
    if hosted:
        record["size"] = len(attachment.content or b"")
    else:
        record["connected_to_app"] = False
    return record


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
