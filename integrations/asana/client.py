"""A thin client of Asana's REST API (https://developers.asana.com/reference/rest-api-reference).

One method per endpoint, returning Asana's JSON (`data`, and `next_page` for lists). Every
answer is `{"data": ...}`; errors are `{"errors": [{"message": ..., "help": ...}]}`
(https://developers.asana.com/docs/errors) and become `integrations.errors` types through
BaseClient. Lists are paginated with `limit` (1..100) and the opaque `offset` of the previous
answer's `next_page` (https://developers.asana.com/docs/pagination). Fields are chosen with
`opt_fields` (https://developers.asana.com/docs/inputoutput-options), so only what the unified
ticket needs is fetched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import requests

from integrations.asana.conf import asana_settings
from integrations.base_client import BaseClient
from integrations.egress import guarded_session
from integrations.errors import ApiError

PAGE_LIMIT = 100  # Asana's maximum `limit`
DOWNLOAD_MAX_BYTES = 50 * 1024 * 1024
DOWNLOAD_TOO_LARGE = "Asana attachment is larger than {limit} MB"
DOWNLOAD_NOT_HOSTED = "This attachment is a link to another service and cannot be downloaded"

# What a card stores (the unified ticket's stored fields, integrations/asana/mapping.py): read for
# unfurls, imports, link imports and the answers of writes. Custom fields: names, type and the
# enum value only, so no other custom field's value is ever fetched.
STORED_TASK_FIELDS = ",".join(
    (
        "name",
        "notes",
        "completed",
        "permalink_url",
        "assignee.name",
        "assignee.email",
        "memberships.project.name",
        "memberships.section.name",
        "custom_fields.name",
        "custom_fields.resource_subtype",
        "custom_fields.enum_value.name",
    )
)
# The stored fields plus the live-only details a card's detail view shows.
TASK_FIELDS = ",".join(
    (STORED_TASK_FIELDS, "modified_at", "due_on", "projects.name", "tags.name", "workspace.name")
)
ATTACHMENT_FIELDS = "name,host,resource_subtype,download_url,view_url,permanent_url,size"


class AsanaClient(BaseClient):
    provider = "Asana"

    # Endpoint paths (https://developers.asana.com/reference/...): one method each below.
    WORKSPACES = "/workspaces"  # getWorkspaces
    WORKSPACE_PROJECTS = "/workspaces/{workspace_gid}/projects"  # getProjectsForWorkspace
    PROJECT = "/projects/{project_gid}"  # getProject
    PROJECT_TASKS = "/projects/{project_gid}/tasks"  # getTasksForProject
    TASKS = "/tasks"  # createTask
    TASK = "/tasks/{task_gid}"  # getTask, updateTask
    SEARCH_TASKS = "/workspaces/{workspace_gid}/tasks/search"  # searchTasksForWorkspace
    ATTACHMENTS = "/attachments"  # getAttachmentsForObject (?parent=)
    ATTACHMENT = "/attachments/{attachment_gid}"  # getAttachment
    WEBHOOKS = "/webhooks"  # createWebhook
    WEBHOOK = "/webhooks/{webhook_gid}"  # getWebhook, deleteWebhook
    ME = "/users/me"  # getUser

    def __init__(self, access_token: str, *, session: requests.Session | None = None) -> None:
        super().__init__(
            base_url=str(asana_settings.ASANA_API_URL),
            headers={"Authorization": f"Bearer {access_token}"},
            session=session,
        )

    def error_message(self, response: requests.Response) -> str:
        """The messages of Asana's `{"errors": [{"message": ...}]}` body, joined."""
        body = response.json()
        errors = body.get("errors") if isinstance(body, dict) else None
        if not isinstance(errors, list):
            return ""
        messages = [str(e["message"]) for e in errors if isinstance(e, dict) and e.get("message")]
        return "; ".join(messages)

    # -- pagination ----------------------------------------------------------------------------
    def page(
        self,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        limit: int = PAGE_LIMIT,
        offset: str | None = None,
    ) -> dict[str, Any]:
        """One page: `{"data": [...], "next_page": {"offset", "path", "uri"} | None}`."""
        query = {**(params or {}), "limit": max(1, min(int(limit), PAGE_LIMIT))}
        if offset:
            query["offset"] = offset
        return self.get(path, params=query)

    def paginate(
        self, path: str, *, params: dict[str, Any] | None = None, limit: int = PAGE_LIMIT
    ) -> Iterator[dict[str, Any]]:
        """Every item of a list, following `next_page.offset` until it is null."""
        offset: str | None = None
        while True:
            body = self.page(path, params=params, limit=limit, offset=offset)
            yield from body.get("data") or []
            offset = (body.get("next_page") or {}).get("offset")
            if not offset:
                return

    # -- workspaces and projects ---------------------------------------------------------------
    def me(self) -> dict[str, Any]:
        return self.get(self.ME, params={"opt_fields": "name,email"})["data"]

    def workspaces(self) -> list[dict[str, Any]]:
        return list(self.paginate(self.WORKSPACES, params={"opt_fields": "name"}))

    def workspace_projects(self, workspace_gid: str, *, archived: bool = False) -> list[dict]:
        path = self.WORKSPACE_PROJECTS.format(workspace_gid=workspace_gid)
        params = {"opt_fields": "name", "archived": str(archived).lower()}
        return list(self.paginate(path, params=params))

    def project(self, project_gid: str, *, opt_fields: str = "name,workspace.name") -> dict:
        path = self.PROJECT.format(project_gid=project_gid)
        return self.get(path, params={"opt_fields": opt_fields})["data"]

    # -- tasks ---------------------------------------------------------------------------------
    def project_tasks(
        self,
        project_gid: str,
        *,
        limit: int = PAGE_LIMIT,
        offset: str | None = None,
        opt_fields: str = TASK_FIELDS,
    ) -> dict[str, Any]:
        """One page of a project's tasks, in project order."""
        path = self.PROJECT_TASKS.format(project_gid=project_gid)
        return self.page(path, params={"opt_fields": opt_fields}, limit=limit, offset=offset)

    def all_project_tasks(
        self, project_gid: str, *, opt_fields: str = TASK_FIELDS
    ) -> Iterator[dict[str, Any]]:
        path = self.PROJECT_TASKS.format(project_gid=project_gid)
        return self.paginate(path, params={"opt_fields": opt_fields})

    def task(self, task_gid: str, *, opt_fields: str = TASK_FIELDS) -> dict[str, Any]:
        path = self.TASK.format(task_gid=task_gid)
        return self.get(path, params={"opt_fields": opt_fields})["data"]

    def create_task(self, data: dict[str, Any], *, opt_fields: str = TASK_FIELDS) -> dict:
        return self.post(self.TASKS, json={"data": data}, params={"opt_fields": opt_fields})["data"]

    def update_task(
        self, task_gid: str, data: dict[str, Any], *, opt_fields: str = TASK_FIELDS
    ) -> dict[str, Any]:
        path = self.TASK.format(task_gid=task_gid)
        return self.put(path, json={"data": data}, params={"opt_fields": opt_fields})["data"]

    def search_tasks(
        self,
        workspace_gid: str,
        *,
        text: str,
        project_gid: str | None = None,
        limit: int = PAGE_LIMIT,
        opt_fields: str = TASK_FIELDS,
    ) -> list[dict]:
        """Asana's search (no offset pagination; `limit` up to 100). Premium workspaces only:
        others answer 402 Payment Required."""
        params: dict[str, Any] = {
            "text": text,
            "limit": max(1, min(int(limit), PAGE_LIMIT)),
            "opt_fields": opt_fields,
            "sort_by": "modified_at",
        }
        if project_gid:
            params["projects.any"] = project_gid
        path = self.SEARCH_TASKS.format(workspace_gid=workspace_gid)
        return self.get(path, params=params)["data"]

    # -- attachments ---------------------------------------------------------------------------
    def task_attachments(self, task_gid: str) -> list[dict[str, Any]]:
        params = {"parent": task_gid, "opt_fields": ATTACHMENT_FIELDS}
        return list(self.paginate(self.ATTACHMENTS, params=params))

    def attachment(self, attachment_gid: str) -> dict[str, Any]:
        path = self.ATTACHMENT.format(attachment_gid=attachment_gid)
        return self.get(path, params={"opt_fields": ATTACHMENT_FIELDS})["data"]

    def download(self, download_url: str) -> tuple[bytes, str]:
        """The file behind a (pre-signed, short-lived) `download_url`: (content, content type).

        Sent without the bearer token, on a session of its own: the URL is signed and points at
        Asana's file host, which must never see the user's token. The file host must be allowed
        by the egress guard (EGRESS_ALLOWED_HOSTS in production).
        """
        if not urlsplit(download_url).scheme:
            raise ApiError(DOWNLOAD_NOT_HOSTED, provider=self.provider)
        files = guarded_session()
        response = self.request("GET", download_url, stream=True, session=files)
        with response:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > DOWNLOAD_MAX_BYTES:
                    limit = DOWNLOAD_MAX_BYTES // (1024 * 1024)
                    raise ApiError(DOWNLOAD_TOO_LARGE.format(limit=limit), provider=self.provider)
                chunks.append(chunk)
            content_type = response.headers.get("Content-Type", "application/octet-stream")
        return b"".join(chunks), content_type

    # -- webhooks ------------------------------------------------------------------------------
    def create_webhook(
        self, resource_gid: str, target: str, *, filters: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """createWebhook: Asana POSTs the X-Hook-Secret handshake to `target` before answering."""
        data: dict[str, Any] = {"resource": resource_gid, "target": target}
        if filters:
            data["filters"] = filters
        return self.post(self.WEBHOOKS, json={"data": data})["data"]

    def delete_webhook(self, webhook_gid: str) -> None:
        self.delete(self.WEBHOOK.format(webhook_gid=webhook_gid))
