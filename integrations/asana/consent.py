"""What the pre-consent page says of Asana: what is read, and why each OAuth scope is asked."""

from __future__ import annotations

from integrations.asana.oauth import SCOPES
from integrations.providers import ConsentSpec

SCOPE_REASONS = {
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

CONSENT = ConsentSpec(
    reads=("The tasks you paste, import or open, with your Asana account",
           "Your workspaces and projects, to browse them in the import picker",
           "Your name and e-mail address in Asana, to show who is connected"),
    scopes=tuple((scope, SCOPE_REASONS.get(scope, "")) for scope in SCOPES),
)
