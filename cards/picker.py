"""The import picker: workspaces -> projects -> tasks of a tool, read with the user's token.

Nothing is stored; pages and search come from the provider (its cursors are opaque here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from approvals import errors as approval_errors
from approvals.models import Team
from approvals.selectors import installation_get
from approvals.services import integration_check_available
from cards import errors
from cards.conf import cards_settings
from cards.provider_calls import account_for, provider_call, provider_for
from integrations.providers import (
    Browsing,
    Page,
    Provider,
    Ticket,
    TicketRead,
    TicketSearch,
    supports,
)

WORKSPACES, PROJECTS, TASKS = "workspaces", "projects", "tasks"


@dataclass(frozen=True)
class PickerPage:
    level: str
    items: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None


def _ticket_item(ticket: Ticket) -> dict[str, Any]:
    return {"id": ticket.external_id, "name": ticket.title, "url": ticket.url,
            "status": ticket.status, "assignee_name": ticket.assignee_name}


def _require(provider: Provider, capability: type, feature: str) -> Any:
    """The provider, typed as the capability it declares; NotSupported when it declares none."""
    if not supports(provider, capability):
        raise errors.NotSupported(errors.NOT_SUPPORTED.format(integration=provider.name,
                                                              feature=feature))
    return provider


def picker_browse(
    *, user: AbstractBaseUser, team: Team, integration: str, workspace: str = "",
    project: str = "", query: str = "", cursor: str | None = None,
) -> PickerPage:
    """No workspace: the workspaces. A workspace: its projects, or with `query` a task search in
    it. A project: its tasks, a page at a time (`cursor`), filtered by `query`."""
    provider = provider_for(integration)
    entry = integration_check_available(team=team, integration=integration)
    if installation_get(team=team, integration=integration) is None:
        raise approval_errors.NotInstalled(
            approval_errors.NOT_INSTALLED.format(integration=entry.name)
        )
    account = account_for(user=user, team=team, integration=integration)
    if project:
        reader: TicketRead = _require(provider, TicketRead, "browsing tasks")
        page: Page = provider_call(
            account=account, integration=integration,
            call=lambda credentials: reader.list_tickets(
                credentials, container_id=project, cursor=cursor or None, query=query,
                limit=cards_settings.CARDS_PICKER_PAGE_SIZE,
            ),
        )
        return PickerPage(TASKS, [_ticket_item(t) for t in page.items], page.next_cursor)
    if workspace and query:
        searcher: TicketSearch = _require(provider, TicketSearch, "task search")
        page = provider_call(
            account=account, integration=integration,
            call=lambda credentials: searcher.search_tickets(
                credentials, workspace_id=workspace, query=query),
        )
        return PickerPage(TASKS, [_ticket_item(t) for t in page.items], page.next_cursor)
    if workspace:
        browser: Browsing = _require(provider, Browsing, "browsing projects")
        items = provider_call(
            account=account, integration=integration,
            call=lambda credentials: browser.list_containers(credentials, workspace_id=workspace),
        )
        return PickerPage(PROJECTS, [_named(item) for item in items])
    browser = _require(provider, Browsing, "browsing workspaces")
    items = provider_call(account=account, integration=integration,
                          call=browser.list_workspaces)
    return PickerPage(WORKSPACES, [_named(item) for item in items])


def _named(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(item.get("id", "")), "name": str(item.get("name", ""))}
