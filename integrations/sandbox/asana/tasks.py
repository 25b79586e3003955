"""REST handlers for tasks: lists, read, create, update and search (Asana's "Tasks" reference).

https://developers.asana.com/reference/tasks. Writes take `{"data": {...}}`; a change made here or
through the `change_task` control is delivered to the webhooks watching the task or its projects.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from integrations.sandbox.asana import errors
from integrations.sandbox.asana.api import ApiCall
from integrations.sandbox.asana.errors import AsanaError
from integrations.sandbox.asana.pagination import parse_limit
from integrations.sandbox.asana.representations import task_record
from integrations.sandbox.asana.store import Membership, Store, Task, User, iso_now
from integrations.sandbox.base import Response

if TYPE_CHECKING:
    from integrations.sandbox.asana.app import AsanaSandbox

SEARCH_DEFAULT_LIMIT = 20
TASKS_QUERY_NEEDED = (
    "Must specify exactly one of project, tag, section, user task list, or assignee + workspace"
)
CREATE_CONTAINER_NEEDED = "You should specify one of workspace, parent, projects"
PROJECT_IN_OTHER_WORKSPACE = "projects: project {gid} is not in workspace {workspace}"
FIELD_NOT_ON_TASK = "custom_fields: Custom field with ID {gid} is not on given object"
ENUM_OPTION_UNKNOWN = "custom_fields: Enum option {value} is not an option of field {gid}"
EXPECTED_TYPE = "{name}: Expected {kind}, got {value!r}"
BAD_DATE = "{name}: Invalid date, expected YYYY-MM-DD: {value!r}"
BAD_DATE_TIME = "{name}: Invalid date-time: {value!r}"
_TAG = re.compile(r"<[^>]+>")


# -- reading -----------------------------------------------------------------------------------
def _builder(call: ApiCall):
    return lambda task: task_record(call.store, task, call.app.app_url)


def _completed_since(call: ApiCall, tasks: list[Task]) -> list[Task]:
    """`completed_since`: only incomplete tasks or those completed since then (`now` = none)."""
    raw = call.arg("completed_since")
    if raw is None:
        return tasks
    if raw == "now":
        return [task for task in tasks if not task.completed]
    since = _parse_date_time("completed_since", raw)
    return [
        task
        for task in tasks
        if not task.completed
        or (task.completed_at and _parse_date_time("", task.completed_at) >= since)
    ]


def project_tasks(call: ApiCall, project_gid: str) -> Response:
    """getTasksForProject: compact tasks in project order; `limit`/`offset` pagination."""
    project = call.project(project_gid)
    tasks = _completed_since(call, call.store.project_tasks(project.gid))
    return call.many(tasks, _builder(call))


def section_tasks(call: ApiCall, section_gid: str) -> Response:
    """getTasksForSection."""
    section = call.lookup(call.store.sections, section_gid, "section")
    call.project(section.project)
    tasks = _completed_since(call, call.store.section_tasks(section.gid))
    return call.many(tasks, _builder(call))


def tasks_list(call: ApiCall) -> Response:
    """getTasks: by project, section, tag, or assignee + workspace."""
    store = call.store
    if call.arg("project"):
        return project_tasks(call, call.arg("project"))
    if call.arg("section"):
        return section_tasks(call, call.arg("section"))
    if call.arg("tag"):
        tag = call.lookup(store.tags, call.arg("tag"), "tag")
        call.workspace(tag.workspace)
        tasks = [t for t in store.tasks.values() if tag.gid in t.tags]
    elif call.arg("assignee") and call.arg("workspace"):
        call.workspace(call.arg("workspace"))
        assignee = store.user_by_reference(call.arg("assignee"), me=call.user)
        if assignee is None:
            raise AsanaError(
                400, errors.NOT_A_RECOGNIZED_ID.format(name="assignee", value=call.arg("assignee"))
            )
        tasks = [
            t
            for t in store.tasks.values()
            if t.assignee == assignee.gid and t.workspace == call.arg("workspace")
        ]
    else:
        raise AsanaError(400, TASKS_QUERY_NEEDED)
    visible = [t for t in tasks if store.can_see_task(call.user, t)]
    return call.many(_completed_since(call, visible), _builder(call))


def task_get(call: ApiCall, task_gid: str) -> Response:
    """getTask: the full record; 403 when the caller cannot see the task."""
    return call.one(task_record(call.store, call.task(task_gid), call.app.app_url))


def search(call: ApiCall, workspace_gid: str) -> Response:
    """searchTasksForWorkspace: `text` in name or notes, plus the common filters.

    As documented, no offset pagination: `limit` (1..100, default 20) and sorting
    (`sort_by` modified_at|created_at|due_date|completed_at, `sort_ascending`). Unlike Asana's
    search index (10-60 s behind), the simulator's results are immediately consistent.
    """
    call.workspace(workspace_gid)
    store = call.store
    limit = parse_limit(call.request) or SEARCH_DEFAULT_LIMIT
    text = (call.arg("text") or "").lower()
    filters = {
        "projects.any": lambda t, v: any(m.project in v for m in t.memberships),
        "sections.any": lambda t, v: any(m.section in v for m in t.memberships),
        "tags.any": lambda t, v: any(tag in v for tag in t.tags),
        "assignee.any": lambda t, v: t.assignee in v,
    }
    tasks = [
        t
        for t in store.tasks.values()
        if t.workspace == workspace_gid
        and store.can_see_task(call.user, t)
        and (not text or text in t.name.lower() or text in t.notes.lower())
    ]
    for name, matches in filters.items():
        raw = call.arg(name)
        if raw:
            wanted = {call.user.gid if part == "me" else part for part in raw.split(",")}
            tasks = [t for t in tasks if matches(t, wanted)]
    completed = call.arg("completed")
    if completed is not None:
        tasks = [t for t in tasks if t.completed == (completed.lower() == "true")]
    sort_by = call.arg("sort_by") or "modified_at"
    key = {"created_at": "created_at", "due_date": "due_on", "completed_at": "completed_at"}.get(
        sort_by, "modified_at"
    )
    ascending = (call.arg("sort_ascending") or "false").lower() == "true"
    tasks.sort(key=lambda t: getattr(t, key) or "", reverse=not ascending)
    return call.listing([task_record(store, t, call.app.app_url) for t in tasks[:limit]])


# -- writing -----------------------------------------------------------------------------------
def task_update(call: ApiCall, task_gid: str) -> Response:
    """updateTask: only the fields given change; webhooks hear about each changed field."""
    data = call.data()
    with call.app.lock:
        task = call.task(task_gid)
        changed = apply_changes(call.store, task, data, actor=call.user)
        record = task_record(call.store, task, call.app.app_url)
    call.app.webhooks.task_changed(task, changed, actor=call.user)
    return call.one(record)


def task_create(call: ApiCall) -> Response:
    """createTask: in a workspace, or in projects (and sections through `memberships`)."""
    data = call.data()
    store = call.store
    with call.app.lock:
        memberships = _memberships(call, data)
        workspace_gid = data.get("workspace")
        if workspace_gid is None and memberships:
            workspace_gid = store.projects[memberships[0].project].workspace
        if not workspace_gid:
            raise AsanaError(400, CREATE_CONTAINER_NEEDED)
        call.workspace(str(workspace_gid))
        for membership in memberships:
            if store.projects[membership.project].workspace != workspace_gid:
                raise AsanaError(
                    400,
                    PROJECT_IN_OTHER_WORKSPACE.format(
                        gid=membership.project, workspace=workspace_gid
                    ),
                )
        now = iso_now()
        task = Task(
            gid=store.new_gid(),
            name="",
            workspace=str(workspace_gid),
            created_at=now,
            modified_at=now,
            created_by=call.user.gid,
            memberships=memberships,
            followers=[call.user.gid],
        )
        apply_changes(store, task, data, actor=call.user)
        task.tags = _tags(call, data, task.workspace)
        store.add(task)
        record = task_record(store, task, call.app.app_url)
    call.app.webhooks.task_added(task, actor=call.user)
    return call.one(record, status=201)


def _memberships(call: ApiCall, data: dict) -> list[Membership]:
    store = call.store
    memberships: list[Membership] = []
    for entry in data.get("memberships") or []:
        if not isinstance(entry, dict) or "project" not in entry:
            raise AsanaError(400, errors.MISSING_INPUT.format(name="memberships.project"))
        project = call.project(str(entry["project"]))
        section = entry.get("section")
        if section is not None:
            section_record = call.lookup(store.sections, str(section), "section")
            if section_record.project != project.gid:
                raise AsanaError(
                    400, errors.NOT_A_RECOGNIZED_ID.format(name="section", value=section)
                )
        memberships.append(
            Membership(project.gid, str(section) if section else _first_section(project))
        )
    projects = data.get("projects") or []
    if isinstance(projects, str):
        projects = projects.split(",")
    for gid in projects:
        project = call.project(str(gid))
        if all(m.project != project.gid for m in memberships):
            memberships.append(Membership(project.gid, _first_section(project)))
    return memberships


def _first_section(project) -> str | None:
    return project.sections[0] if project.sections else None


def _tags(call: ApiCall, data: dict, workspace_gid: str) -> list[str]:
    tags = data.get("tags") or []
    if isinstance(tags, str):
        tags = tags.split(",")
    result = []
    for gid in tags:
        tag = call.lookup(call.store.tags, str(gid), "tag")
        if tag.workspace != workspace_gid:
            raise AsanaError(400, errors.NOT_A_RECOGNIZED_ID.format(name="tags", value=gid))
        result.append(tag.gid)
    return result


def apply_changes(store: Store, task: Task, data: dict[str, Any], *, actor: User) -> list[str]:
    """Validate and apply writable fields; returns the names of the fields that changed.

    Raises AsanaError(400) before changing anything when a value is invalid.
    """
    updates: dict[str, Any] = {}
    if "name" in data:
        updates["name"] = _text(data, "name")
    if "notes" in data:
        updates["notes"] = _text(data, "notes")
    elif "html_notes" in data:
        updates["notes"] = _TAG.sub("", _text(data, "html_notes"))
    if "completed" in data:
        if not isinstance(data["completed"], bool):
            raise AsanaError(
                400, EXPECTED_TYPE.format(name="completed", kind="boolean", value=data["completed"])
            )
        updates["completed"] = data["completed"]
    if "assignee" in data:
        updates["assignee"] = _assignee(store, task, data["assignee"], actor)
    if "due_on" in data:
        updates["due_on"] = _date(data["due_on"])
    custom_values = dict(task.custom_values)
    if "custom_fields" in data:
        _custom_values(store, task, data["custom_fields"], custom_values)

    changed = [name for name, value in updates.items() if getattr(task, name) != value]
    for name in changed:
        setattr(task, name, updates[name])
    if "completed" in changed:
        task.completed_at = iso_now() if task.completed else None
    if custom_values != task.custom_values:
        task.custom_values = custom_values
        changed.append("custom_fields")
    if changed:
        task.modified_at = iso_now()
    return changed


def _text(data: dict, name: str) -> str:
    value = data[name]
    if not isinstance(value, str):
        raise AsanaError(400, EXPECTED_TYPE.format(name=name, kind="string", value=value))
    return value


def _assignee(store: Store, task: Task, value: Any, actor: User) -> str | None:
    if value is None:
        return None
    reference = value.get("gid") if isinstance(value, dict) else value
    user = store.user_by_reference(str(reference), me=actor)
    if user is None or task.workspace not in user.workspaces:
        raise AsanaError(400, errors.NOT_A_RECOGNIZED_ID.format(name="assignee", value=reference))
    return user.gid


def _date(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError as error:
        raise AsanaError(400, BAD_DATE.format(name="due_on", value=value)) from error


def _parse_date_time(name: str, value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise AsanaError(400, BAD_DATE_TIME.format(name=name, value=value)) from error


def _custom_values(store: Store, task: Task, raw: Any, values: dict[str, Any]) -> None:
    """`custom_fields` {field gid: enum option gid | text | number | null} (the custom fields guide)."""
    if not isinstance(raw, dict):
        raise AsanaError(400, EXPECTED_TYPE.format(name="custom_fields", kind="object", value=raw))
    for gid, value in raw.items():
        field = store.custom_fields.get(str(gid))
        if field is None or field.workspace != task.workspace:
            raise AsanaError(400, FIELD_NOT_ON_TASK.format(gid=gid))
        if value is None:
            values.pop(field.gid, None)
        elif field.subtype == "enum":
            if field.option(str(value)) is None:
                raise AsanaError(400, ENUM_OPTION_UNKNOWN.format(value=value, gid=gid))
            values[field.gid] = str(value)
        elif field.subtype == "number":
            values[field.gid] = _number(f"custom_fields.{gid}", value)
        else:
            if not isinstance(value, str):
                raise AsanaError(
                    400,
                    EXPECTED_TYPE.format(name=f"custom_fields.{gid}", kind="string", value=value),
                )
            values[field.gid] = value


def _number(name: str, value: Any) -> float:
    if not isinstance(value, bool) and isinstance(value, int | float | str):
        try:
            return float(value)
        except ValueError:
            pass
    raise AsanaError(400, EXPECTED_TYPE.format(name=name, kind="number", value=value))


def change_task(
    app: AsanaSandbox, task_gid: str, changes: dict, actor: User
) -> tuple[dict, list[str]]:
    """The `change_task` control: a change made in Asana's own UI, behind Conduit's back."""
    with app.lock:
        task = app.store.tasks.get(task_gid)
        if task is None:
            raise AsanaError(404, errors.UNKNOWN_OBJECT.format(name="task", gid=task_gid))
        changed = apply_changes(app.store, task, changes, actor=actor)
        record = task_record(app.store, task, app.app_url)
    app.webhooks.task_changed(task, changed, actor=actor)
    return record, changed
