"""Seed data of the Jira Server simulator: a small but realistic instance.

Two projects (TEST, everyone can see it; OPS, which bob and carol cannot see), four users (admin is
a Jira administrator, carol may browse TEST but not edit), the default priorities, a three-status
workflow, and a required select custom field on OPS incidents so that create forms built from
createmeta meet a field Conduit does not know. Ids follow Jira Server's numbering habits.
"""

from __future__ import annotations

from .state import Issue, JiraState, Project, User

# A fixed moment (2024-03-01T09:00:00Z) so seeded timestamps are stable across runs.
SEED_EPOCH = 1709283600.0

USERS = [
    User("admin", "JIRAUSER10000", "Jira Administrator", "admin@example.com", admin=True),
    User("alice", "JIRAUSER10100", "Alice Anders", "alice@example.com"),
    User("bob", "JIRAUSER10101", "Bob Brown", "bob@example.com", time_zone="America/New_York"),
    User("carol", "JIRAUSER10102", "Carol Chen", "carol@example.com", time_zone="Asia/Tokyo"),
]

ISSUE_TYPES = {
    "10001": {"name": "Story", "description": "A user story.", "subtask": False},
    "10002": {"name": "Task", "description": "A task that needs to be done.", "subtask": False},
    "10004": {
        "name": "Bug",
        "description": "A problem which impairs product function.",
        "subtask": False,
    },
    "10100": {"name": "Incident", "description": "An unplanned interruption.", "subtask": False},
}

PRIORITIES = {
    "1": "Highest",
    "2": "High",
    "3": "Medium",
    "4": "Low",
    "5": "Lowest",
}
DEFAULT_PRIORITY_ID = "3"

# Jira's status categories are fixed: 2 new, 4 indeterminate, 3 done.
STATUS_CATEGORIES = {
    "new": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    "indeterminate": {
        "id": 4,
        "key": "indeterminate",
        "colorName": "yellow",
        "name": "In Progress",
    },
    "done": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}
STATUSES = {
    "10000": {"name": "To Do", "category": "new"},
    "3": {"name": "In Progress", "category": "indeterminate"},
    "10001": {"name": "Done", "category": "done"},
}
INITIAL_STATUS_ID = "10000"

SEVERITY_FIELD = "customfield_10200"
SEVERITY_OPTIONS = {"10300": "Sev 1", "10301": "Sev 2", "10302": "Sev 3"}

# System fields on the create and edit screens of every issue type, in screen order.
CREATE_SCREEN = [
    "project",
    "issuetype",
    "summary",
    "reporter",
    "priority",
    "assignee",
    "labels",
    "duedate",
    "description",
    "attachment",
]
EDIT_SCREEN = ["summary", "priority", "assignee", "labels", "duedate", "description"]
# (project key, issue type id) -> custom fields on its screens, each required.
REQUIRED_CUSTOM_FIELDS = {("OPS", "10100"): [SEVERITY_FIELD]}


def load(state: JiraState) -> None:
    """Fill an empty state with the seed instance."""
    state.users = {user.name: user for user in USERS}
    everyone = frozenset(user.name for user in USERS)
    state.projects = {
        "TEST": Project(
            id="10000",
            key="TEST",
            name="Conduit Test",
            lead="admin",
            issuetype_ids=["10002", "10004", "10001"],
            viewers=everyone,
            editors=frozenset({"admin", "alice", "bob"}),
        ),
        "OPS": Project(
            id="10001",
            key="OPS",
            name="Operations",
            lead="alice",
            issuetype_ids=["10002", "10100"],
            viewers=frozenset({"admin", "alice"}),
            editors=frozenset({"admin", "alice"}),
        ),
    }
    issues = [
        Issue(
            id=10000,
            key="TEST-1",
            project_key="TEST",
            issuetype_id="10002",
            summary="Set up the staging environment",
            description="Provision the staging cluster and wire the deploy pipeline to it.",
            status_id="3",
            priority_id="2",
            assignee="alice",
            reporter="admin",
            labels=["infra", "staging"],
            duedate="2030-06-28",
            created=SEED_EPOCH,
            updated=SEED_EPOCH + 3600,
        ),
        Issue(
            id=10001,
            key="TEST-2",
            project_key="TEST",
            issuetype_id="10004",
            summary="Login page shows a blank screen on Safari",
            description="Steps: open /login in Safari 17. Expected: the form. Actual: white page.",
            priority_id="1",
            assignee="bob",
            reporter="alice",
            labels=["frontend"],
            created=SEED_EPOCH + 7200,
            updated=SEED_EPOCH + 7200,
        ),
        Issue(
            id=10002,
            key="TEST-3",
            project_key="TEST",
            issuetype_id="10001",
            summary="Export a board as PDF",
            status_id="10001",
            reporter="bob",
            created=SEED_EPOCH + 10800,
            updated=SEED_EPOCH + 86400,
        ),
        Issue(
            id=10003,
            key="OPS-1",
            project_key="OPS",
            issuetype_id="10100",
            summary="Nightly backup failed",
            description="The 02:00 backup job exited with status 2.",
            priority_id="2",
            assignee="alice",
            reporter="admin",
            custom={SEVERITY_FIELD: "10301"},
            created=SEED_EPOCH + 14400,
            updated=SEED_EPOCH + 14400,
        ),
    ]
    state.issues = {issue.id: issue for issue in issues}
    state.issue_counters = {"TEST": 3, "OPS": 1}
    state.next_issue_id = 10004
    state.attachments = {}
    state.next_attachment_id = 10000
    attachment = state.add_attachment(
        state.issues[10000],
        "staging-notes.txt",
        "text/plain",
        b"Staging runs on 3 nodes.\n",
        "admin",
    )
    attachment.created = SEED_EPOCH + 1800
