"""In-memory state of the Jira Server simulator: users, projects, issues, OAuth consumers and tokens.

Everything lives in one `JiraState` guarded by the app's lock; `seed.py` fills it and the REST,
OAuth and webhook modules read and change it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

# Jira's own lifetimes (atlassian-oauth service provider defaults): request tokens live 10
# minutes, access tokens 5 years, and the session behind an access token 5 years and 30 days.
# https://developer.atlassian.com/server/jira/platform/oauth/
REQUEST_TOKEN_LIFETIME = 10 * 60
ACCESS_TOKEN_LIFETIME = 5 * 365 * 24 * 3600
SESSION_LIFETIME = ACCESS_TOKEN_LIFETIME + 30 * 24 * 3600


@dataclass
class User:
    name: str  # Jira Server's username, what REST bodies call "name"
    key: str
    display_name: str
    email: str
    time_zone: str = "Europe/Berlin"
    admin: bool = False


@dataclass
class Project:
    id: str
    key: str
    name: str
    lead: str
    issuetype_ids: list[str]
    viewers: frozenset[str]  # BROWSE_PROJECTS
    editors: frozenset[str]  # EDIT_ISSUES, CREATE_ISSUES, CREATE_ATTACHMENTS


@dataclass
class Attachment:
    id: int
    issue_id: int
    filename: str
    mime_type: str
    content: bytes
    author: str
    created: float


@dataclass
class Issue:
    id: int
    key: str
    project_key: str
    issuetype_id: str
    summary: str
    reporter: str
    created: float
    updated: float
    description: str | None = None
    status_id: str = "10000"
    priority_id: str | None = "3"
    assignee: str | None = None
    labels: list[str] = field(default_factory=list)
    duedate: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    attachment_ids: list[int] = field(default_factory=list)


@dataclass
class Consumer:
    """An incoming Application Link: what a Jira admin pastes into the applinks screen."""

    key: str
    name: str
    public_key_pem: str
    callback: str | None
    created: float


@dataclass
class RequestToken:
    token: str
    secret: str
    consumer_key: str
    callback: str
    created: float
    authorization: str = "none"  # none / authorized / denied, as atlassian-oauth names it
    user: str | None = None
    verifier: str | None = None

    def expired(self, now: float) -> bool:
        return now > self.created + REQUEST_TOKEN_LIFETIME


@dataclass
class AccessToken:
    token: str
    secret: str
    consumer_key: str
    user: str
    created: float
    expires_at: float
    session_handle: str

    def expired(self, now: float) -> bool:
        return now > self.expires_at


@dataclass
class Webhook:
    id: int
    name: str
    url: str
    events: list[str]
    jql: str
    exclude_body: bool
    enabled: bool
    created_by: str
    updated: float


@dataclass
class JiraState:
    """The whole simulated server. Callers hold `lock` around reads and writes."""

    version: str
    server_title: str
    lock: threading.RLock = field(default_factory=threading.RLock)
    users: dict[str, User] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    attachments: dict[int, Attachment] = field(default_factory=dict)
    issue_counters: dict[str, int] = field(default_factory=dict)
    next_issue_id: int = 10000
    next_attachment_id: int = 10000
    next_changelog_id: int = 10100
    consumers: dict[str, Consumer] = field(default_factory=dict)
    request_tokens: dict[str, RequestToken] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    used_nonces: dict[tuple[str, str, str], float] = field(default_factory=dict)
    webhooks: dict[int, Webhook] = field(default_factory=dict)
    next_webhook_id: int = 1
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    html_mode: bool = False
    # One-shot changes applied right after a search page is answered (the `search_edit`
    # control): an issue edited or deleted while a client reads the pages of a result.
    search_edits: list[dict[str, Any]] = field(default_factory=list)

    # -- lookups -------------------------------------------------------------------------------
    def project(self, id_or_key: Any) -> Project | None:
        text = str(id_or_key)
        for project in self.projects.values():
            if text in (project.id, project.key):
                return project
        return None

    def issue(self, id_or_key: str) -> Issue | None:
        if id_or_key.isdigit():
            return self.issues.get(int(id_or_key))
        for issue in self.issues.values():
            if issue.key == id_or_key.upper():
                return issue
        return None

    def can_browse(self, user: str, project_key: str) -> bool:
        project = self.projects.get(project_key)
        return project is not None and user in project.viewers

    def can_edit(self, user: str, project_key: str) -> bool:
        project = self.projects.get(project_key)
        return project is not None and user in project.editors

    # -- changes -------------------------------------------------------------------------------
    def new_issue_key(self, project_key: str) -> tuple[int, str]:
        self.issue_counters[project_key] = self.issue_counters.get(project_key, 0) + 1
        issue_id = self.next_issue_id
        self.next_issue_id += 1
        return issue_id, f"{project_key}-{self.issue_counters[project_key]}"

    def add_attachment(
        self, issue: Issue, filename: str, mime_type: str, content: bytes, author: str
    ) -> Attachment:
        attachment = Attachment(
            id=self.next_attachment_id,
            issue_id=issue.id,
            filename=filename,
            mime_type=mime_type,
            content=content,
            author=author,
            created=time.time(),
        )
        self.next_attachment_id += 1
        self.attachments[attachment.id] = attachment
        issue.attachment_ids.append(attachment.id)
        return attachment

    def next_changelog(self) -> str:
        self.next_changelog_id += 1
        return str(self.next_changelog_id)

    def remember_nonce(self, consumer_key: str, timestamp: str, nonce: str, window: int) -> bool:
        """Record a nonce; False when it was already used inside the timestamp window."""
        now = time.time()
        for stale in [key for key, seen in self.used_nonces.items() if seen < now - 2 * window]:
            del self.used_nonces[stale]
        key = (consumer_key, timestamp, nonce)
        if key in self.used_nonces:
            return False
        self.used_nonces[key] = now
        return True
