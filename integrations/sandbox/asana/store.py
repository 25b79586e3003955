"""The simulator's in-memory Asana: records, gids and who may see what.

Visibility, after the OAS's ProjectCompact ("accessible to a subset of users in that workspace or
organization, depending on its permissions") and ProjectResponse.privacy_setting: a user sees the
workspaces they are a member of, the public projects of those workspaces and the private ones
they are a member of, the tasks of the projects they can see, and their own tasks outside any
project. Anything else is a 403 (https://developers.asana.com/docs/errors: "read or write to
objects or properties that the user does not have access to").
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def iso_now() -> str:
    """Asana's date-time format: UTC, milliseconds, `Z` (https://developers.asana.com/docs/dates-and-times)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Workspace:
    gid: str
    name: str
    is_organization: bool
    email_domains: list[str] = field(default_factory=list)


@dataclass
class User:
    gid: str
    name: str
    email: str
    workspaces: list[str]


@dataclass
class EnumOption:
    gid: str
    name: str
    color: str
    enabled: bool = True


@dataclass
class CustomField:
    gid: str
    name: str
    workspace: str
    subtype: str  # "enum", "text" or "number" (Asana's resource_subtype)
    enum_options: list[EnumOption] = field(default_factory=list)
    precision: int = 0
    description: str = ""
    created_by: str | None = None

    def option(self, gid: str) -> EnumOption | None:
        return next((option for option in self.enum_options if option.gid == gid), None)


@dataclass
class Project:
    gid: str
    name: str
    workspace: str
    owner: str | None
    created_at: str
    modified_at: str
    members: list[str] | None = None  # None: public to the workspace
    color: str | None = None
    notes: str = ""
    archived: bool = False
    sections: list[str] = field(default_factory=list)
    custom_fields: list[str] = field(default_factory=list)


@dataclass
class Section:
    gid: str
    name: str
    project: str
    created_at: str


@dataclass
class Tag:
    gid: str
    name: str
    workspace: str
    created_at: str
    color: str | None = None
    notes: str = ""


@dataclass
class Membership:
    project: str
    section: str | None


@dataclass
class Task:
    gid: str
    name: str
    workspace: str
    created_at: str
    modified_at: str
    created_by: str | None = None
    notes: str = ""
    assignee: str | None = None
    completed: bool = False
    completed_at: str | None = None
    due_on: str | None = None
    memberships: list[Membership] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    followers: list[str] = field(default_factory=list)
    # custom field gid -> enum option gid, text or number
    custom_values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Attachment:
    gid: str
    name: str
    parent: str
    host: str  # "asana" is hosted by Asana (downloadable); others are links to other services
    created_at: str
    content: bytes | None = None
    content_type: str = "application/octet-stream"
    view_url: str | None = None


class Store:
    """All records of one simulator run; callers hold the app's lock while using it."""

    def __init__(self) -> None:
        self.workspaces: dict[str, Workspace] = {}
        self.users: dict[str, User] = {}
        self.custom_fields: dict[str, CustomField] = {}
        self.projects: dict[str, Project] = {}
        self.sections: dict[str, Section] = {}
        self.tags: dict[str, Tag] = {}
        self.tasks: dict[str, Task] = {}
        self.attachments: dict[str, Attachment] = {}
        self._gids = itertools.count(1300000000000001)  # objects created while running

    def new_gid(self) -> str:
        return str(next(self._gids))

    def add(self, record: Any) -> Any:
        table = {
            Workspace: self.workspaces,
            User: self.users,
            CustomField: self.custom_fields,
            Project: self.projects,
            Section: self.sections,
            Tag: self.tags,
            Task: self.tasks,
            Attachment: self.attachments,
        }[type(record)]
        table[record.gid] = record
        return record

    # -- lookups -------------------------------------------------------------------------------
    def user_by_reference(self, reference: str, *, me: User) -> User | None:
        """A user given as a gid, an email or "me", as Asana accepts for assignee and friends."""
        if reference == "me":
            return me
        if reference in self.users:
            return self.users[reference]
        return next((user for user in self.users.values() if user.email == reference), None)

    def project_tasks(self, project_gid: str) -> list[Task]:
        return [
            task
            for task in self.tasks.values()
            if any(membership.project == project_gid for membership in task.memberships)
        ]

    def section_tasks(self, section_gid: str) -> list[Task]:
        return [
            task
            for task in self.tasks.values()
            if any(membership.section == section_gid for membership in task.memberships)
        ]

    # -- visibility ----------------------------------------------------------------------------
    def can_see_workspace(self, user: User, workspace_gid: str) -> bool:
        return workspace_gid in user.workspaces

    def can_see_project(self, user: User, project: Project) -> bool:
        if not self.can_see_workspace(user, project.workspace):
            return False
        return project.members is None or user.gid in project.members

    def can_see_task(self, user: User, task: Task) -> bool:
        if not self.can_see_workspace(user, task.workspace):
            return False
        if task.memberships:
            return any(
                self.can_see_project(user, self.projects[membership.project])
                for membership in task.memberships
            )
        return user.gid in {task.assignee, task.created_by, *task.followers}

    def can_see_attachment(self, user: User, attachment: Attachment) -> bool:
        task = self.tasks.get(attachment.parent)
        return task is not None and self.can_see_task(user, task)
