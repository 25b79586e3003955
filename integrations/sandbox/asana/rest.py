"""REST handlers for users, workspaces, projects, sections, tags, attachments and typeahead.

Paths, parameters and shapes follow Asana's API reference (https://developers.asana.com/reference)
and its OpenAPI description; each handler names its operationId.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote

from integrations.sandbox.asana import errors
from integrations.sandbox.asana.api import ApiCall
from integrations.sandbox.asana.errors import AsanaError
from integrations.sandbox.asana.representations import (
    attachment_record,
    custom_field_record,
    project_record,
    section_record,
    tag_record,
    task_record,
    user_record,
    workspace_record,
)
from integrations.sandbox.base import Request, Response

DOWNLOAD_LIFETIME_SECONDS = 120  # AttachmentResponse.download_url: "valid for two minutes"
TYPEAHEAD_DEFAULT_COUNT = 20
TYPEAHEAD_MAX_COUNT = 100
TYPEAHEAD_COUNT_INVALID = "count: Must be between 1 and 100, inclusive"
DOWNLOAD_DENIED = "Request has expired or the signature does not match"


# -- users and workspaces ----------------------------------------------------------------------
def user_get(call: ApiCall, user_gid: str) -> Response:
    """getUser: `me`, a gid or an email; only users sharing a workspace with the caller."""
    user = call.store.user_by_reference(user_gid, me=call.user)
    if user is None:
        call.lookup(call.store.users, user_gid, "user")
    shared = set(user.workspaces) & set(call.user.workspaces)
    if not shared:
        raise AsanaError(403, errors.FORBIDDEN)
    record = user_record(call.store, user, with_workspaces=True)
    record["workspaces"] = [ws for ws in record["workspaces"] if ws["gid"] in shared]
    return call.one(record)


def workspaces_list(call: ApiCall) -> Response:
    """getWorkspaces: the workspaces the caller is a member of."""
    items = [call.store.workspaces[gid] for gid in call.user.workspaces]
    return call.many(items, workspace_record)


def workspace_get(call: ApiCall, workspace_gid: str) -> Response:
    """getWorkspace."""
    return call.one(workspace_record(call.workspace(workspace_gid)))


def workspace_users(call: ApiCall, workspace_gid: str) -> Response:
    """getUsersForWorkspace."""
    call.workspace(workspace_gid)
    users = [u for u in call.store.users.values() if workspace_gid in u.workspaces]
    return call.many(users, lambda user: user_record(call.store, user))


# -- projects and sections ---------------------------------------------------------------------
def _visible_projects(call: ApiCall, workspace_gid: str) -> list:
    call.workspace(workspace_gid)
    archived = call.arg("archived")
    return [
        project
        for project in call.store.projects.values()
        if project.workspace == workspace_gid
        and call.store.can_see_project(call.user, project)
        and (archived is None or str(project.archived).lower() == archived.lower())
    ]


def _project_builder(call: ApiCall):
    return lambda project: project_record(call.store, project, call.app.app_url)


def workspace_projects(call: ApiCall, workspace_gid: str) -> Response:
    """getProjectsForWorkspace: the projects the caller can see."""
    return call.many(_visible_projects(call, workspace_gid), _project_builder(call))


def projects_list(call: ApiCall) -> Response:
    """getProjects: `workspace` is required here (teams are not simulated)."""
    workspace_gid = call.required_arg("workspace")
    return call.many(_visible_projects(call, workspace_gid), _project_builder(call))


def project_get(call: ApiCall, project_gid: str) -> Response:
    """getProject: 403 for a private project the caller is not a member of."""
    project = call.project(project_gid)
    return call.one(project_record(call.store, project, call.app.app_url))


def project_sections(call: ApiCall, project_gid: str) -> Response:
    """getSectionsForProject."""
    project = call.project(project_gid)
    sections = [call.store.sections[gid] for gid in project.sections]
    return call.many(sections, lambda section: section_record(call.store, section))


def section_get(call: ApiCall, section_gid: str) -> Response:
    """getSection."""
    section = call.lookup(call.store.sections, section_gid, "section")
    call.project(section.project)
    return call.one(section_record(call.store, section))


def project_custom_field_settings(call: ApiCall, project_gid: str) -> Response:
    """getCustomFieldSettingsForProject."""
    project = call.project(project_gid)

    def build(field_gid: str) -> dict:
        return {
            "gid": f"{project.gid}{field_gid[-4:]}",
            "resource_type": "custom_field_setting",
            "is_important": True,
            "project": {"gid": project.gid, "resource_type": "project", "name": project.name},
            "custom_field": custom_field_record(call.store.custom_fields[field_gid]),
        }

    return call.many(project.custom_fields, build)


def custom_field_get(call: ApiCall, custom_field_gid: str) -> Response:
    """getCustomField."""
    field = call.lookup(call.store.custom_fields, custom_field_gid, "custom_field")
    call.workspace(field.workspace)
    return call.one(custom_field_record(field))


# -- tags --------------------------------------------------------------------------------------
def _tag_builder(call: ApiCall):
    return lambda tag: tag_record(call.store, tag, call.app.app_url)


def workspace_tags(call: ApiCall, workspace_gid: str) -> Response:
    """getTagsForWorkspace."""
    call.workspace(workspace_gid)
    tags = [tag for tag in call.store.tags.values() if tag.workspace == workspace_gid]
    return call.many(tags, _tag_builder(call))


def tags_list(call: ApiCall) -> Response:
    """getTags: `workspace` is required."""
    return workspace_tags(call, call.required_arg("workspace"))


def tag_get(call: ApiCall, tag_gid: str) -> Response:
    """getTag."""
    tag = call.lookup(call.store.tags, tag_gid, "tag")
    call.workspace(tag.workspace)
    return call.one(tag_record(call.store, tag, call.app.app_url))


def task_tags(call: ApiCall, task_gid: str) -> Response:
    """getTagsForTask."""
    task = call.task(task_gid)
    return call.many([call.store.tags[gid] for gid in task.tags], _tag_builder(call))


# -- attachments -------------------------------------------------------------------------------
def _attachment_builder(call: ApiCall):
    def build(attachment) -> dict:
        return attachment_record(
            call.store,
            attachment,
            app_url=call.app.app_url,
            download_url=download_url(call.app, attachment),
        )

    return build


def _task_attachments(call: ApiCall, task_gid: str) -> Response:
    task = call.task(task_gid)
    items = [a for a in call.store.attachments.values() if a.parent == task.gid]
    return call.many(items, _attachment_builder(call))


def attachments_list(call: ApiCall) -> Response:
    """getAttachmentsForObject: `parent` is a task here (projects hold no files in the seed)."""
    return _task_attachments(call, call.required_arg("parent"))


def task_attachments(call: ApiCall, task_gid: str) -> Response:
    """GET /tasks/{task_gid}/attachments: the older path, still answered by Asana."""
    return _task_attachments(call, task_gid)


def attachment_get(call: ApiCall, attachment_gid: str) -> Response:
    """getAttachment."""
    attachment = call.lookup(call.store.attachments, attachment_gid, "attachment")
    if not call.store.can_see_attachment(call.user, attachment):
        raise AsanaError(403, errors.FORBIDDEN)
    return call.one(_attachment_builder(call)(attachment))


def _download_signature(secret: bytes, gid: str, expires: int) -> str:
    return hmac.new(secret, f"{gid}:{expires}".encode(), hashlib.sha256).hexdigest()


def download_url(app, attachment) -> str | None:
    """A pre-signed, short-lived URL like Asana's S3 links: no Authorization header needed."""
    if attachment.host != "asana":
        return None
    expires = int(time.time()) + DOWNLOAD_LIFETIME_SECONDS
    signature = _download_signature(app.signing_secret, attachment.gid, expires)
    name = quote(attachment.name)
    return f"{app.base_url}/assets/{attachment.gid}/{name}?expires={expires}&token={signature}"


def download(app, request: Request, attachment_gid: str, name: str) -> Response:
    """The file behind download_url (the simulator plays the file host too)."""
    with app.lock:
        attachment = app.store.attachments.get(attachment_gid)
    try:
        expires = int(request.arg("expires") or 0)
    except ValueError:
        expires = 0
    expected = _download_signature(app.signing_secret, attachment_gid, expires)
    valid = hmac.compare_digest(request.arg("token") or "", expected)
    if attachment is None or attachment.content is None or not valid or expires < time.time():
        return Response(403, DOWNLOAD_DENIED.encode(), {"Content-Type": "text/plain"})
    headers = {
        "Content-Type": attachment.content_type,
        "Content-Disposition": f'attachment; filename="{attachment.name}"',
    }
    return Response(200, attachment.content, headers)


# -- typeahead ---------------------------------------------------------------------------------
def typeahead(call: ApiCall, workspace_gid: str) -> Response:
    """typeaheadForWorkspace: name matches for task, project, user, tag or custom_field.

    Words of `query` must all start a word of the name (or email); an empty query returns the
    most recently modified objects first. `count` is 1..100 (default 20); no pagination.
    """
    call.workspace(workspace_gid)
    resource_type = call.required_arg("resource_type")
    try:
        count = int(call.arg("count") or TYPEAHEAD_DEFAULT_COUNT)
    except ValueError as error:
        raise AsanaError(400, TYPEAHEAD_COUNT_INVALID) from error
    if not 1 <= count <= TYPEAHEAD_MAX_COUNT:
        raise AsanaError(400, TYPEAHEAD_COUNT_INVALID)
    words = (call.arg("query") or "").lower().split()
    store = call.store
    candidates: list[tuple[str, dict]] = []
    if resource_type == "task":
        tasks = sorted(store.tasks.values(), key=lambda t: t.modified_at, reverse=True)
        candidates = [
            (t.name, task_record(store, t, call.app.app_url))
            for t in tasks
            if t.workspace == workspace_gid and store.can_see_task(call.user, t)
        ]
    elif resource_type == "project":
        candidates = [
            (p.name, project_record(store, p, call.app.app_url))
            for p in _visible_projects(call, workspace_gid)
        ]
    elif resource_type == "user":
        candidates = [
            (f"{u.name} {u.email}", user_record(store, u))
            for u in store.users.values()
            if workspace_gid in u.workspaces
        ]
    elif resource_type == "tag":
        candidates = [
            (t.name, tag_record(store, t, call.app.app_url))
            for t in store.tags.values()
            if t.workspace == workspace_gid
        ]
    elif resource_type == "custom_field":
        candidates = [
            (f.name, custom_field_record(f))
            for f in store.custom_fields.values()
            if f.workspace == workspace_gid
        ]
    return call.listing([record for text, record in candidates if _matches(text, words)][:count])


def _matches(text: str, words: list[str]) -> bool:
    name_words = text.lower().replace("-", " ").replace("@", " ").split()
    return all(any(part.startswith(word) for part in name_words) for word in words)
