"""The simulator's deterministic seed: the same gids, names and values on every start and reset.

Two workspaces; users with names and emails; projects with sections; one project with 260 tasks
(more than two pages of 100); a private project and a personal task the second user (Grace)
cannot see; tags; a "Priority" enum custom field (High/Medium/Low) and other custom fields;
attachments hosted by Asana and attachments that are links to other services. Other tests import
the gids below rather than repeating numbers.
"""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta

from integrations.sandbox.asana.store import (
    Attachment,
    CustomField,
    EnumOption,
    Membership,
    Project,
    Section,
    Store,
    Tag,
    Task,
    User,
    Workspace,
)

ACME_WORKSPACE = "1100000000000001"
GARDEN_WORKSPACE = "1100000000000002"

ADA = "1100000000001001"  # both workspaces; sees everything
GRACE = "1100000000001002"  # Acme only; not a member of the confidential project
ALAN = "1100000000001003"  # both workspaces; member of the confidential project
KATHERINE = "1100000000001004"  # Garden only
USER_EMAILS = {
    ADA: "ada@acme.example",
    GRACE: "grace@acme.example",
    ALAN: "alan@acme.example",
    KATHERINE: "katherine@garden.example",
}

WEBSITE_PROJECT = "1100000000002001"
BACKLOG_PROJECT = "1100000000002002"  # BACKLOG_TASK_COUNT tasks: pagination
CONFIDENTIAL_PROJECT = "1100000000002003"  # private: Ada and Alan only
GARDEN_PROJECT = "1100000000002004"
BACKLOG_TASK_COUNT = 260

PRIORITY_FIELD = "1100000000005001"
PRIORITY_HIGH = "1100000000006001"
PRIORITY_MEDIUM = "1100000000006002"
PRIORITY_LOW = "1100000000006003"
ESTIMATE_FIELD = "1100000000005002"  # number, hours
CUSTOMER_FIELD = "1100000000005003"  # text
GARDEN_PRIORITY_FIELD = "1100000000005004"
GARDEN_PRIORITY_HIGH = "1100000000006004"
GARDEN_PRIORITY_LOW = "1100000000006005"

TAG_BUG = "1100000000004001"
TAG_FRONTEND = "1100000000004002"
TAG_CUSTOMER = "1100000000004003"
TAG_OUTDOOR = "1100000000004004"

WEBSITE_TASK_FIRST = "1100000000100001"  # "Draft homepage copy", with attachments
WEBSITE_TASK_COUNT = 12
BACKLOG_TASK_FIRST = "1100000000200001"
CONFIDENTIAL_TASK = "1100000000300001"  # Grace gets 403
PERSONAL_TASK = "1100000000300101"  # Ada's own task outside any project; Grace gets 403
GARDEN_TASK_FIRST = "1100000000400001"

ATTACHMENT_PDF = "1100000000007001"  # host asana, downloadable
ATTACHMENT_PNG = "1100000000007002"  # host asana, downloadable
ATTACHMENT_DROPBOX = "1100000000007003"  # link, no download
ATTACHMENT_GDRIVE = "1100000000007004"  # link, no download

_EPOCH = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def _at(minutes: int) -> str:
    return (_EPOCH + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _tiny_png() -> bytes:
    """A valid 1x1 PNG, built rather than stored so the seed stays text."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x4f\x7c\xd9")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

_WEBSITE_TASKS = [
    "Draft homepage copy",
    "Design new navigation",
    "Fix broken signup link",
    "Migrate blog to the new CMS",
    "Set up analytics dashboards",
    "Accessibility audit",
    "Optimize hero images",
    "Write launch announcement",
    "Configure CDN caching",
    "QA on mobile Safari",
    "Update privacy policy",
    "Launch checklist review",
]
_CONFIDENTIAL_TASKS = ["Review target financials", "Prepare term sheet", "Legal review of IP"]
_GARDEN_TASKS = [
    "Plant tomatoes",
    "Build raised bed",
    "Order seeds",
    "Fix irrigation",
    "Harvest herbs",
]


def build_store() -> Store:
    """A fresh store holding the seed; calling it twice gives equal data."""
    store = Store()
    _people(store)
    _custom_fields(store)
    _tags(store)
    _website(store)
    _backlog(store)
    _confidential(store)
    _garden(store)
    return store


def _people(store: Store) -> None:
    store.add(Workspace(ACME_WORKSPACE, "Acme Corp", True, ["acme.example"]))
    store.add(Workspace(GARDEN_WORKSPACE, "Community Garden", False))
    store.add(User(ADA, "Ada Lovelace", USER_EMAILS[ADA], [ACME_WORKSPACE, GARDEN_WORKSPACE]))
    store.add(User(GRACE, "Grace Hopper", USER_EMAILS[GRACE], [ACME_WORKSPACE]))
    store.add(User(ALAN, "Alan Turing", USER_EMAILS[ALAN], [ACME_WORKSPACE, GARDEN_WORKSPACE]))
    store.add(User(KATHERINE, "Katherine Johnson", USER_EMAILS[KATHERINE], [GARDEN_WORKSPACE]))


def _custom_fields(store: Store) -> None:
    priority_options = [
        EnumOption(PRIORITY_HIGH, "High", "red"),
        EnumOption(PRIORITY_MEDIUM, "Medium", "yellow-orange"),
        EnumOption(PRIORITY_LOW, "Low", "green"),
    ]
    store.add(CustomField(PRIORITY_FIELD, "Priority", ACME_WORKSPACE, "enum", priority_options))
    store.add(
        CustomField(ESTIMATE_FIELD, "Estimate (hours)", ACME_WORKSPACE, "number", precision=1)
    )
    store.add(CustomField(CUSTOMER_FIELD, "Customer", ACME_WORKSPACE, "text"))
    garden_options = [
        EnumOption(GARDEN_PRIORITY_HIGH, "High", "red"),
        EnumOption(GARDEN_PRIORITY_LOW, "Low", "green"),
    ]
    store.add(
        CustomField(GARDEN_PRIORITY_FIELD, "Priority", GARDEN_WORKSPACE, "enum", garden_options)
    )


def _tags(store: Store) -> None:
    store.add(Tag(TAG_BUG, "bug", ACME_WORKSPACE, _at(0), "dark-red", "Something is broken"))
    store.add(Tag(TAG_FRONTEND, "frontend", ACME_WORKSPACE, _at(1), "light-blue"))
    store.add(Tag(TAG_CUSTOMER, "customer-request", ACME_WORKSPACE, _at(2), "dark-green"))
    store.add(Tag(TAG_OUTDOOR, "outdoor", GARDEN_WORKSPACE, _at(3), "light-green"))


def _project(store: Store, gid: str, name: str, workspace: str, sections: list[str], **extra):
    project = store.add(
        Project(gid, name, workspace, owner=ADA, created_at=_at(10), modified_at=_at(20), **extra)
    )
    for index, section_name in enumerate(sections):
        section_gid = f"1100000000003{int(gid) % 1000}{index + 1:02d}"  # 1100000000003PSS
        store.add(Section(section_gid, section_name, gid, _at(11 + index)))
        project.sections.append(section_gid)
    return project


def _website(store: Store) -> None:
    project = _project(
        store,
        WEBSITE_PROJECT,
        "Website Relaunch",
        ACME_WORKSPACE,
        ["To do", "Doing", "Done"],
        color="dark-blue",
        notes="Everything for the new acme.example",
        custom_fields=[PRIORITY_FIELD, ESTIMATE_FIELD, CUSTOMER_FIELD],
    )
    assignees = [ADA, GRACE, ALAN, None]
    priorities = [PRIORITY_HIGH, PRIORITY_MEDIUM, PRIORITY_LOW]
    tag_sets = [[TAG_FRONTEND], [TAG_BUG, TAG_FRONTEND], [], [TAG_CUSTOMER]]
    for index, name in enumerate(_WEBSITE_TASKS):
        done = index % 5 == 4
        section = project.sections[2] if done else project.sections[index % 2]
        values: dict[str, object] = {PRIORITY_FIELD: priorities[index % 3]}
        if index % 2 == 0:
            values[ESTIMATE_FIELD] = 1.5 + index
        if index % 4 == 3:
            values[CUSTOMER_FIELD] = "Globex"
        store.add(
            Task(
                gid=str(int(WEBSITE_TASK_FIRST) + index),
                name=name,
                workspace=ACME_WORKSPACE,
                created_at=_at(30 + index),
                modified_at=_at(60 + index),
                created_by=ADA,
                notes=f"{name}. Acceptance: reviewed by the team.",
                assignee=assignees[index % 4],
                completed=done,
                completed_at=_at(90 + index) if done else None,
                due_on=f"2024-06-{index + 1:02d}" if index % 3 != 2 else None,
                memberships=[Membership(WEBSITE_PROJECT, section)],
                tags=list(tag_sets[index % 4]),
                followers=[ADA] if index % 2 else [ADA, GRACE],
                custom_values=values,
            )
        )
    store.add(
        Attachment(
            ATTACHMENT_PDF,
            "homepage-copy.pdf",
            WEBSITE_TASK_FIRST,
            "asana",
            _at(40),
            content=_PDF,
            content_type="application/pdf",
        )
    )
    store.add(
        Attachment(
            ATTACHMENT_PNG,
            "hero.png",
            WEBSITE_TASK_FIRST,
            "asana",
            _at(41),
            content=_tiny_png(),
            content_type="image/png",
        )
    )
    store.add(
        Attachment(
            ATTACHMENT_DROPBOX,
            "Wireframes.fig",
            WEBSITE_TASK_FIRST,
            "dropbox",
            _at(42),
            view_url="https://www.dropbox.com/s/sandbox0001/Wireframes.fig",
        )
    )
    store.add(
        Attachment(
            ATTACHMENT_GDRIVE,
            "Brand guidelines",
            WEBSITE_TASK_FIRST,
            "gdrive",
            _at(43),
            view_url="https://docs.google.com/document/d/sandbox0002/edit",
        )
    )


def _backlog(store: Store) -> None:
    project = _project(
        store,
        BACKLOG_PROJECT,
        "Customer Backlog",
        ACME_WORKSPACE,
        ["Inbox", "Triage", "Later"],
        color="dark-orange",
        custom_fields=[PRIORITY_FIELD],
    )
    priorities = [PRIORITY_LOW, PRIORITY_MEDIUM, PRIORITY_HIGH, None]
    for index in range(BACKLOG_TASK_COUNT):
        number = index + 1
        priority = priorities[index % 4]
        store.add(
            Task(
                gid=str(int(BACKLOG_TASK_FIRST) + index),
                name=f"Backlog item {number:03d}",
                workspace=ACME_WORKSPACE,
                created_at=_at(200 + index),
                modified_at=_at(200 + index),
                created_by=GRACE,
                notes=f"Customer request #{number}",
                assignee=[None, GRACE, ALAN][index % 3],
                completed=index % 10 == 9,
                completed_at=_at(600 + index) if index % 10 == 9 else None,
                memberships=[Membership(BACKLOG_PROJECT, project.sections[index % 3])],
                tags=[TAG_CUSTOMER] if index % 7 == 0 else [],
                custom_values={PRIORITY_FIELD: priority} if priority else {},
            )
        )


def _confidential(store: Store) -> None:
    project = _project(
        store,
        CONFIDENTIAL_PROJECT,
        "Confidential: Acquisition",
        ACME_WORKSPACE,
        ["Due diligence"],
        members=[ADA, ALAN],
        color="dark-purple",
        notes="Need to know only",
        custom_fields=[PRIORITY_FIELD],
    )
    for index, name in enumerate(_CONFIDENTIAL_TASKS):
        store.add(
            Task(
                gid=str(int(CONFIDENTIAL_TASK) + index),
                name=name,
                workspace=ACME_WORKSPACE,
                created_at=_at(900 + index),
                modified_at=_at(900 + index),
                created_by=ADA,
                notes="Do not share outside the deal team.",
                assignee=ALAN,
                memberships=[Membership(CONFIDENTIAL_PROJECT, project.sections[0])],
                custom_values={PRIORITY_FIELD: PRIORITY_HIGH},
            )
        )
    store.add(
        Task(
            gid=PERSONAL_TASK,
            name="Renew my passport",
            workspace=ACME_WORKSPACE,
            created_at=_at(950),
            modified_at=_at(950),
            created_by=ADA,
            assignee=ADA,
            due_on="2024-07-01",
        )
    )


def _garden(store: Store) -> None:
    project = _project(
        store,
        GARDEN_PROJECT,
        "Garden Plan",
        GARDEN_WORKSPACE,
        ["Spring", "Summer"],
        color="light-green",
        custom_fields=[GARDEN_PRIORITY_FIELD],
    )
    for index, name in enumerate(_GARDEN_TASKS):
        store.add(
            Task(
                gid=str(int(GARDEN_TASK_FIRST) + index),
                name=name,
                workspace=GARDEN_WORKSPACE,
                created_at=_at(1000 + index),
                modified_at=_at(1000 + index),
                created_by=KATHERINE,
                assignee=[KATHERINE, ALAN, ADA][index % 3],
                memberships=[Membership(GARDEN_PROJECT, project.sections[index % 2])],
                tags=[TAG_OUTDOOR],
                custom_values={
                    GARDEN_PRIORITY_FIELD: (GARDEN_PRIORITY_HIGH, GARDEN_PRIORITY_LOW)[index % 2]
                },
            )
        )
