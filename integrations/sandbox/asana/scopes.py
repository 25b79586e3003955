"""OAuth scopes Asana knows, as listed in its OpenAPI description (`components.securitySchemes`).

https://developers.asana.com/docs/oauth-scopes: a token granted specific scopes may call only the
operations whose "Required scope" it holds (403 otherwise); `default` (or no scope) is full access.
"""

KNOWN_SCOPES = frozenset(
    {
        "default",
        "openid",
        "email",
        "profile",
        "attachments:read",
        "attachments:write",
        "attachments:delete",
        "custom_fields:read",
        "custom_fields:write",
        "goals:read",
        "jobs:read",
        "portfolios:read",
        "portfolios:write",
        "project_templates:read",
        "projects:read",
        "projects:write",
        "projects:delete",
        "stories:read",
        "stories:write",
        "tags:read",
        "tags:write",
        "task_templates:read",
        "tasks:read",
        "tasks:write",
        "tasks:delete",
        "teams:read",
        "users:read",
        "webhooks:read",
        "webhooks:write",
        "webhooks:delete",
        "workspaces:read",
        "workspaces.typeahead:read",
    }
)
FULL_ACCESS = frozenset({"default"})


def allows(granted: frozenset[str], required: str | None) -> bool:
    if required is None or not granted or granted & FULL_ACCESS:
        return True
    return required in granted
