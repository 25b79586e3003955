"""The import picker: workspaces -> projects -> tasks of a tool, read with the user's token.

Nothing is stored; pages and search come from the provider (its cursors are opaque here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from approvals import errors as approval_errors
from approvals.decisions import integration_access_decide
from approvals.models import Team
from cards.conf import cards_settings
from cards.provider_calls import account_for, provider_call, provider_for
from integrations.providers import Browsing, Page, Ticket, TicketRead, TicketSearch

WORKSPACES, PROJECTS, TASKS = "workspaces", "projects", "tasks"


@dataclass(frozen=True)
class PickerPage:
    level: str
    items: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None


def _ticket_item(ticket: Ticket) -> dict[str, Any]:
    return {"id": ticket.external_id, "name": ticket.title, "url": ticket.url,
            "status": ticket.status, "assignee_name": ticket.assignee_name}


def _level(*, workspace: str, project: str, query: str) -> tuple[str, type, str]:
    """(level, capability, feature) a request asks for, decided before any account is read."""
    if project:
        return TASKS, TicketRead, "browsing tasks"
    if workspace and query:
        return TASKS, TicketSearch, "task search"
    if workspace:
        return PROJECTS, Browsing, "browsing projects"
    return WORKSPACES, Browsing, "browsing workspaces"


def picker_browse(
    *, user: AbstractBaseUser, team: Team, integration: str, workspace: str = "",
    project: str = "", query: str = "", cursor: str | None = None,
) -> PickerPage:
    """No workspace: the workspaces. A workspace: its projects, or with `query` a task search in
    it. A project: its tasks, a page at a time (`cursor`), filtered by `query`. A provider that
    does not declare the capability a level needs is refused (NotSupported) before any call."""
    level, capability, feature = _level(workspace=workspace, project=project, query=query)
    provider = provider_for(integration, capability, feature)
    decision = integration_access_decide(user=user, team=team, integration=integration)
    if not decision.raise_if_refused().usable:
        raise approval_errors.NotInstalled(
            approval_errors.NOT_INSTALLED.format(integration=decision.entry.name)
        )
    account = account_for(user=user, team=team, integration=integration)
    if capability is TicketRead:
        page: Page = provider_call(
            account=account, integration=integration,
            call=lambda credentials: provider.list_tickets(
                credentials, container_id=project, cursor=cursor or None, query=query,
                limit=cards_settings.CARDS_PICKER_PAGE_SIZE,
            ),
        )
        return PickerPage(level, [_ticket_item(t) for t in page.items], page.next_cursor)
    if capability is TicketSearch:
        page = provider_call(
            account=account, integration=integration,
            call=lambda credentials: provider.search_tickets(
                credentials, workspace_id=workspace, query=query),
        )
        return PickerPage(level, [_ticket_item(t) for t in page.items], page.next_cursor)
    if level == PROJECTS:
        items = provider_call(
            account=account, integration=integration,
            call=lambda credentials: provider.list_containers(credentials,
                                                              workspace_id=workspace),
        )
        return PickerPage(level, [_named(item) for item in items])
    items = provider_call(account=account, integration=integration,
                          call=provider.list_workspaces)
    return PickerPage(level, [_named(item) for item in items])


def _named(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(item.get("id", "")), "name": str(item.get("name", ""))}
