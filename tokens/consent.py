"""What Conduit tells a person before it sends them to a provider's consent page.

One disclosure per integration: what Conduit reads, what it stores (the card's fields, as
PRODUCT.md and the seed list them: title, description, assignee, status, priority), why each
scope is asked, and how long credentials are kept. A scope without a stated reason is a bug
(tests/tokens/test_pre_consent.py checks every scope Asana is asked for has one).
"""

from __future__ import annotations

from dataclasses import dataclass

STORED_FIELDS = (
    "Title",
    "Description",
    "Assignee (name and e-mail address)",
    "Status",
    "Priority",
)
NOT_STORED = (
    "Other custom fields, tags, due dates, attachments and comments are never stored: they are "
    "read live, with your own account, when you open a card."
)
CREDENTIALS = (
    "Your {name} tokens, encrypted (AES-256-GCM), deleted after {days} days without use or "
    "when you disconnect."
)

ASANA_SCOPE_REASONS = {
    "tasks:read": "read the tasks you paste, import or open on a board",
    "tasks:write": "save your edits to a card, and create tasks from the board",
    "users:read": "show who a task is assigned to, and who you are connected as",
    "tags:read": "show a task's tags in the card's live details",
    "projects:read": "browse projects in the import picker and the new-task form",
    "workspaces:read": "browse your workspaces in the import picker",
    "custom_fields:read": "read the Priority field (no other custom field is used)",
    "attachments:read": "list a task's files, and copy them to a linked Jira issue",
    "webhooks:write": "be told when an imported task changes in Asana, to keep cards fresh",
    "webhooks:delete": "remove those notifications when you disconnect or uninstall",
}
JIRA_ACCESS = (
    "read and write access",
    "Jira Server's OAuth 1.0a has no finer scopes: Conduit reads the issues you link and "
    "creates the issues you ask for, in the projects you may use in Jira.",
)


@dataclass(frozen=True)
class Disclosure:
    integration: str
    name: str
    reads: tuple[str, ...]
    stored: tuple[str, ...]
    not_stored: str
    credentials: str
    scopes: tuple[tuple[str, str], ...]  # (scope, why it is asked)


def disclosure_for(*, integration: str, name: str, retention_days: int) -> Disclosure:
    """The pre-consent page's content for one integration."""
    credentials = CREDENTIALS.format(name=name, days=retention_days)
    if integration == "jira_server":
        return Disclosure(
            integration=integration, name=name,
            reads=("The issues you paste, open or link to a card, with your Jira account",
                   "The projects and issue types you may create issues in"),
            stored=STORED_FIELDS, not_stored=NOT_STORED, credentials=credentials,
            scopes=(JIRA_ACCESS,),
        )
    from integrations.asana.oauth import SCOPES

    return Disclosure(
        integration=integration, name=name,
        reads=("The tasks you paste, import or open, with your Asana account",
               "Your workspaces and projects, to browse them in the import picker",
               "Your name and e-mail address in Asana, to show who is connected"),
        stored=STORED_FIELDS, not_stored=NOT_STORED, credentials=credentials,
        scopes=tuple((scope, ASANA_SCOPE_REASONS.get(scope, "")) for scope in SCOPES),
    )
