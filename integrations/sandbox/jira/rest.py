"""Jira Server REST API v2 endpoints of the simulator.

Paths, bodies and status codes follow the Jira Server REST API v2 reference
(https://docs.atlassian.com/software/jira/docs/api/REST/8.5.0/). Requests authenticate with
OAuth 1.0a only; an unsigned request is anonymous, which Jira allows for `serverInfo` (and which
sees no projects), and which gets 401 elsewhere. `issue/createmeta` is gone from Jira 9.0 on
(the path then reads as an issue key that does not exist), and its paginated replacements exist
from 8.4 on (https://confluence.atlassian.com/jiracore/createmeta-rest-endpoint-to-be-removed-975040986.html).
Attachments need `X-Atlassian-Token: no-check` (XSRF protection on multipart bodies) and a
multipart part named `file`; the answer is a JSON list of attachments (the `jira` library's
`add_attachment` reads the first one and refuses a `size` of 0).
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from typing import TYPE_CHECKING, Any

from ..base import Request, Response
from . import fields as issue_fields
from .editing import edit_issue
from .fields import FieldErrors
from .oauth1 import OAuthProblem, percent_encode
from .representations import (
    attachment_json,
    error_body,
    issue_json,
    issuetype_json,
    jira_time,
    myself_json,
    project_json,
)
from .search import search

if TYPE_CHECKING:
    from .app import JiraSandbox

API = "/rest/api/2"
NOT_AUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
PROJECT_NOT_FOUND = "No project could be found with key '{key}'."
NO_EDIT_PERMISSION = "You do not have permission to edit issues in this project."
NO_ATTACH_PERMISSION = "You do not have permission to create attachments for this issue."
ATTACHMENT_NOT_FOUND = "The attachment with id '{id}' does not exist"
NO_FILE_PART = "No attachment was found in the request: the multipart part must be named 'file'."
XSRF_FAILED = "XSRF check failed"
XSRF_TOKENS = ("no-check", "nocheck")


def version_tuple(version: str) -> tuple[int, ...]:
    numbers = []
    for part in version.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        numbers.append(int(digits or 0))
    return tuple((numbers + [0, 0, 0])[:3])


def parse_multipart(content_type: str, body: bytes) -> list[tuple[str, str, str, bytes]]:
    """(field name, filename, content type, content) of each part of a multipart/form-data body."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return []
    parts = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition") or ""
        filename = part.get_filename() or ""
        parts.append(
            (str(name), filename, part.get_content_type(), part.get_payload(decode=True) or b"")
        )
    return parts


class RestApi:
    """The REST handlers; each takes the request (and path groups) and returns a Response."""

    def __init__(self, app: JiraSandbox) -> None:
        self.app = app
        self.state = app.state

    @property
    def base_url(self) -> str:
        return self.app.base_url

    def routes(self) -> list[tuple[str, str, Callable[..., Response]]]:
        return [
            ("GET", f"{API}/serverInfo", self.server_info),
            ("GET", f"{API}/myself", self.myself),
            ("GET", f"{API}/project", self.projects),
            ("GET", f"{API}/project/(?P<id_or_key>[^/]+)", self.project),
            ("GET", f"{API}/issue/createmeta", self.createmeta),
            (
                "GET",
                f"{API}/issue/createmeta/(?P<project>[^/]+)/issuetypes",
                self.createmeta_issuetypes,
            ),
            (
                "GET",
                f"{API}/issue/createmeta/(?P<project>[^/]+)/issuetypes/(?P<type_id>[^/]+)",
                self.createmeta_fields,
            ),
            ("GET", f"{API}/search", lambda request, user: search(self.app, request, user)),
            ("POST", f"{API}/issue", self.create_issue),
            ("GET", f"{API}/issue/(?P<id_or_key>[^/]+)", self.get_issue),
            ("PUT", f"{API}/issue/(?P<id_or_key>[^/]+)", self.edit_issue),
            ("POST", f"{API}/issue/(?P<id_or_key>[^/]+)/attachments", self.add_attachments),
            ("GET", f"{API}/attachment/(?P<attachment_id>\\d+)", self.attachment),
            (
                "GET",
                "/secure/attachment/(?P<attachment_id>\\d+)/(?P<filename>[^/]*)",
                self.attachment_content,
            ),
        ]

    # -- authentication -----------------------------------------------------------------------
    def user(self, request: Request) -> str | None:
        """The OAuth user, None for anonymous; raises OAuthProblem for a refused signature."""
        return self.app.oauth.authenticate(request, self.base_url)

    def realm(self, request: Request) -> str:
        return self.app.oauth.origin(request, self.base_url)

    def not_authenticated(self, request: Request) -> Response:
        return Response.json(
            error_body([NOT_AUTHENTICATED]),
            status=401,
            headers={"WWW-Authenticate": f'OAuth realm="{percent_encode(self.realm(request))}"'},
        )

    def guarded(
        self, handler: Callable[..., Response], *, anonymous: Callable[..., Response] | None = None
    ):
        """Wrap a handler taking (request, user, **groups) with Jira's authentication filter."""

        def wrapper(request: Request, **groups: str) -> Response:
            try:
                user = self.user(request)
            except OAuthProblem as problem:
                return problem.response(self.realm(request))
            if user is None:
                return (
                    anonymous(request, **groups) if anonymous else self.not_authenticated(request)
                )
            return handler(request, user, **groups)

        return wrapper

    # -- handlers -----------------------------------------------------------------------------
    def server_info(self, request: Request) -> Response:
        try:
            self.user(request)
        except OAuthProblem as problem:
            return problem.response(self.realm(request))
        numbers = list(version_tuple(self.state.version))
        return Response.json(
            {
                "baseUrl": self.base_url,
                "version": self.state.version,
                "versionNumbers": numbers,
                "deploymentType": "Server",
                "buildNumber": numbers[0] * 100000 + numbers[1] * 1000 + numbers[2],
                "buildDate": "2019-10-09T00:00:00.000+0000",
                "serverTime": jira_time(time.time()),
                "scmInfo": "b7a3f6c9b3e5e3c2a0f1d4e8c7b6a5f4e3d2c1b0",
                "serverTitle": self.state.server_title,
            }
        )

    def myself(self, request: Request, user: str) -> Response:
        with self.state.lock:
            return Response.json(myself_json(self.base_url, self.state.users[user]))

    def projects(self, request: Request, user: str) -> Response:
        with self.state.lock:
            visible = [p for p in self.state.projects.values() if user in p.viewers]
            return Response.json([project_json(self.base_url, p) for p in visible])

    def project(self, request: Request, user: str, id_or_key: str) -> Response:
        with self.state.lock:
            project = self.state.project(id_or_key.upper())
            if project is None or user not in project.viewers:
                return Response.json(
                    error_body([PROJECT_NOT_FOUND.format(key=id_or_key)]), status=404
                )
            return Response.json(project_json(self.base_url, project, detail=True))

    def createmeta(self, request: Request, user: str) -> Response:
        if version_tuple(self.state.version) >= (9, 0, 0):
            return Response.json(error_body([ISSUE_NOT_FOUND]), status=404)
        with self.state.lock:
            return Response.json(
                issue_fields.createmeta(self.base_url, self.state, user, request.query)
            )

    def _creatable_project(self, user: str, project_ref: str):
        project = self.state.project(project_ref.upper())
        if project is None or user not in project.editors:
            return None
        return project

    def createmeta_issuetypes(self, request: Request, user: str, project: str) -> Response:
        if version_tuple(self.state.version) < (8, 4, 0):
            return Response.json(error_body([ISSUE_NOT_FOUND]), status=404)
        with self.state.lock:
            found = self._creatable_project(user, project)
            if found is None:
                return Response.json(
                    error_body([PROJECT_NOT_FOUND.format(key=project)]), status=404
                )
            values = [issuetype_json(self.base_url, type_id) for type_id in found.issuetype_ids]
            return Response.json(issue_fields.paginated(values, request.query))

    def createmeta_fields(
        self, request: Request, user: str, project: str, type_id: str
    ) -> Response:
        if version_tuple(self.state.version) < (8, 4, 0):
            return Response.json(error_body([ISSUE_NOT_FOUND]), status=404)
        with self.state.lock:
            found = self._creatable_project(user, project)
            if found is None:
                return Response.json(
                    error_body([PROJECT_NOT_FOUND.format(key=project)]), status=404
                )
            if type_id not in found.issuetype_ids:
                return Response.json(error_body([issue_fields.ISSUETYPE_INVALID]), status=404)
            values = [
                {
                    **issue_fields.field_meta(self.base_url, found, type_id, field_id),
                    "fieldId": field_id,
                }
                for field_id in issue_fields.screen_fields(found, type_id)
            ]
            return Response.json(issue_fields.paginated(values, request.query))

    def create_issue(self, request: Request, user: str) -> Response:
        with self.state.lock:
            try:
                issue = issue_fields.create_issue(self.state, user, request.json())
            except FieldErrors as error:
                return Response.json(error_body(error.messages, error.errors), status=400)
        self.app.webhooks.fire(self.base_url, "jira:issue_created", issue, user)
        return Response.json(
            {
                "id": str(issue.id),
                "key": issue.key,
                "self": f"{self.base_url}{API}/issue/{issue.id}",
            },
            status=201,
        )

    def _visible_issue(self, user: str, id_or_key: str):
        issue = self.state.issue(id_or_key)
        if issue is None or not self.state.can_browse(user, issue.project_key):
            return None
        return issue

    def get_issue(self, request: Request, user: str, id_or_key: str) -> Response:
        with self.state.lock:
            issue = self._visible_issue(user, id_or_key)
            if issue is None:
                return Response.json(error_body([ISSUE_NOT_FOUND]), status=404)
            return Response.json(
                issue_json(self.base_url, self.state, issue, request.arg("fields"))
            )

    def edit_issue(self, request: Request, user: str, id_or_key: str) -> Response:
        with self.state.lock:
            issue = self._visible_issue(user, id_or_key)
            if issue is None:
                return Response.json(error_body([ISSUE_NOT_FOUND]), status=404)
            if not self.state.can_edit(user, issue.project_key):
                return Response.json(error_body([NO_EDIT_PERMISSION]), status=403)
            try:
                changelog = edit_issue(self.state, issue, request.json())
            except FieldErrors as error:
                return Response.json(error_body(error.messages, error.errors), status=400)
        if changelog:
            self.app.webhooks.fire(self.base_url, "jira:issue_updated", issue, user, changelog)
        return Response(status=204)

    def add_attachments(self, request: Request, user: str, id_or_key: str) -> Response:
        if request.headers.get("x-atlassian-token", "").lower() not in XSRF_TOKENS:
            return Response(
                status=403,
                body=XSRF_FAILED.encode(),
                headers={"Content-Type": "text/plain;charset=UTF-8"},
            )
        files = [
            part
            for part in parse_multipart(request.headers.get("content-type", ""), request.body)
            if part[0] == "file"
        ]
        with self.state.lock:
            issue = self._visible_issue(user, id_or_key)
            if issue is None:
                return Response.json(error_body([ISSUE_NOT_FOUND]), status=404)
            if not self.state.can_edit(user, issue.project_key):
                return Response.json(error_body([NO_ATTACH_PERMISSION]), status=403)
            if not files:
                return Response.json(error_body([NO_FILE_PART]), status=400)
            added = []
            for _, filename, content_type, content in files:
                if content_type in ("", "application/octet-stream", "text/plain") and filename:
                    content_type = (
                        mimetypes.guess_type(filename)[0]
                        or content_type
                        or "application/octet-stream"
                    )
                added.append(
                    self.state.add_attachment(
                        issue, filename or "attachment", content_type, content, user
                    )
                )
            issue.updated = time.time()
            body = [attachment_json(self.base_url, self.state, a) for a in added]
        changelog: list[dict[str, Any]] = [
            {
                "field": "Attachment",
                "fieldtype": "jira",
                "from": None,
                "fromString": None,
                "to": str(a.id),
                "toString": a.filename,
            }
            for a in added
        ]
        self.app.webhooks.fire(self.base_url, "jira:issue_updated", issue, user, changelog)
        return Response.json(body)

    def _visible_attachment(self, user: str, attachment_id: str):
        attachment = self.state.attachments.get(int(attachment_id))
        if attachment is None:
            return None
        issue = self.state.issues[attachment.issue_id]
        return attachment if self.state.can_browse(user, issue.project_key) else None

    def attachment(self, request: Request, user: str, attachment_id: str) -> Response:
        with self.state.lock:
            attachment = self._visible_attachment(user, attachment_id)
            if attachment is None:
                return Response.json(
                    error_body([ATTACHMENT_NOT_FOUND.format(id=attachment_id)]), status=404
                )
            return Response.json(attachment_json(self.base_url, self.state, attachment))

    def attachment_content(
        self, request: Request, user: str, attachment_id: str, filename: str
    ) -> Response:
        with self.state.lock:
            attachment = self._visible_attachment(user, attachment_id)
            if attachment is None:
                return Response.json(
                    error_body([ATTACHMENT_NOT_FOUND.format(id=attachment_id)]), status=404
                )
            return Response(
                status=200,
                body=attachment.content,
                headers={
                    "Content-Type": attachment.mime_type,
                    "Content-Disposition": f"attachment; filename*=UTF-8''{percent_encode(attachment.filename)}",
                },
            )


def anonymous_projects(request: Request, **_: Any) -> Response:
    return Response.json([])


def anonymous_createmeta(request: Request, **_: Any) -> Response:
    return Response.json({"expand": "projects", "projects": []})
