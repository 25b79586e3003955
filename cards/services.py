"""Boards and cards: create, import, unfurl, write through to the tool, refresh, delete.

Writes go to the tool first and to the card after (PRODUCT.md "Update"); a refusal leaves the
card's last good data, records `sync_error` and gives back what the user submitted. Reads of live
data use the viewer's own token and never store details.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from approvals.models import Team
from cards import errors
from cards.card_locks import CardLock, card_lock
from cards.conf import cards_settings
from cards.models import TITLE_MAX_LENGTH, URL_MAX_LENGTH, Board, CardWidget, LinkPreview
from cards.provider_calls import (
    account_for,
    installed_account_for,
    provider_call,
    provider_for,
)
from cards.selectors import card_etag, card_for_update, card_values, integration_name
from config.errors import ApplicationError
from integrations.providers import (
    LinkRef,
    NewTicket,
    Page,
    Ticket,
    TicketBatchRead,
    TicketChanges,
    TicketCreate,
    TicketRead,
    TicketTitleRead,
    TicketUpdate,
    parse_any_link,
    supports,
)

STORED_FIELDS = ("url", "title", "description", "assignee_name", "assignee_email", "status",
                 "priority")


@dataclass(frozen=True)
class ImportResult:
    cards: list[CardWidget]
    missing: list[str] = field(default_factory=list)  # ids the tool did not list or return


@dataclass(frozen=True)
class CardDetails:
    card: CardWidget
    details: dict[str, Any]


def board_create(*, team: Team, name: str, acting_user: AbstractBaseUser) -> Board:
    return Board.objects.create(team=team, name=name.strip(), created_by=acting_user)


def _stored_values(ticket: Ticket) -> dict[str, str]:
    values = {name: getattr(ticket, name) or "" for name in STORED_FIELDS}
    values["title"] = values["title"][:TITLE_MAX_LENGTH]
    values["url"] = values["url"][:URL_MAX_LENGTH]
    values["assignee_name"] = values["assignee_name"][:255]
    values["assignee_email"] = values["assignee_email"][:254]
    values["status"] = values["status"][:255]
    values["priority"] = values["priority"][:255]
    return values


def _cards_store(*, board: Board, integration: str, tickets: list[Ticket],
                 acting_user: AbstractBaseUser) -> list[CardWidget]:
    """Create or refresh one card per ticket in one statement (the board's unique constraint
    makes a re-import update the existing cards instead of duplicating them)."""
    now = timezone.now()
    rows = [
        # Ids rather than objects: assigning a related object runs its descriptor for every
        # row (about a tenth of building 1,000 rows, bench P3).
        CardWidget(
            board_id=board.pk, provider=integration, external_id=ticket.external_id,
            created_by_id=acting_user.pk, synced_at=now, sync_error="", **_stored_values(ticket),
        )
        for ticket in tickets
    ]
    if not rows:
        return []
    CardWidget.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["board", "provider", "external_id"],
        update_fields=[*STORED_FIELDS, "synced_at", "sync_error"],
    )
    if any(row.pk is None for row in rows):
        # A database that does not return the ids of upserted rows: read the cards back.
        order = {ticket.external_id: index for index, ticket in enumerate(tickets)}
        cards = CardWidget.objects.filter(board=board, provider=integration,
                                          external_id__in=list(order))
        return sorted(cards, key=lambda card: order[card.external_id])
    # The upsert wrote every stored field and answered each row's id, created_at and
    # created_by (PostgreSQL, SQLite 3.35+: the two have database defaults, so an insert returns
    # them): of a card that existed before, when and by whom it was first imported, as kept.
    return rows


def _after_import(*, board: Board, integration: str, container_id: str,
                  acting_user: AbstractBaseUser, webhook_base_url: str | None) -> None:
    """Keep the imported cards fresh: watch their container (on commit, in a task)."""
    if not container_id:
        return
    from cards.webhooks import webhook_subscription_request

    webhook_subscription_request(
        team=board.team, integration=integration, container_id=container_id,
        user=acting_user, base_url=webhook_base_url,
    )


def _list_wanted(*, provider: Any, account: Any, integration: str, container_id: str,
                 wanted: list[str]) -> dict[str, Ticket]:
    """Page through the container's listing until every wanted ticket is seen: one provider call
    per page of CARDS_IMPORT_PAGE_SIZE tickets, never one per ticket, and at most
    CARDS_IMPORT_MAX_PAGES pages (an id that is not in a huge project ends the search there)."""
    remaining = set(wanted)
    found: dict[str, Ticket] = {}
    cursor: str | None = None
    for _page in range(cards_settings.CARDS_IMPORT_MAX_PAGES):
        if not remaining:
            break
        page: Page = provider_call(
            account=account, integration=integration,
            call=lambda credentials, cursor=cursor: provider.list_tickets(
                credentials, container_id=container_id, cursor=cursor,
                limit=cards_settings.CARDS_IMPORT_PAGE_SIZE,
            ),
        )
        for ticket in page.items:
            if ticket.external_id in remaining:
                found[ticket.external_id] = ticket
                remaining.discard(ticket.external_id)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    if remaining:
        found.update(_fetch_directly(provider=provider, account=account, integration=integration,
                                     wanted=[value for value in wanted if value in remaining]))
    return found


def _fetch_directly(*, provider: Any, account: Any, integration: str,
                    wanted: list[str]) -> dict[str, Ticket]:
    """The wanted tickets a listing did not show, asked for by id before any is called missing.

    Listings page by offset into a result the provider may compute afresh per page (Jira): a
    ticket deleted or moved between two page reads shifts the others, so one can be on no page
    read although it exists. Asana pages with offset tokens over the project's own task order,
    which edits of a task's fields do not change, but its docs say tokens expire as data
    changes and a task moved within the project moves in that order: the same check covers it.
    A provider with a batch read (Jira: `key in (...)`) answers in one call per chunk; others
    are asked one ticket at a time, at most CARDS_IMPORT_MAX_WITHOUT_CONTAINER of them.
    """
    if supports(provider, TicketBatchRead):
        tickets = provider_call(account=account, integration=integration,
                                call=lambda credentials: provider.fetch_tickets(credentials, wanted))
        return {ticket.external_id: ticket for ticket in tickets
                if ticket.external_id in set(wanted)}
    found: dict[str, Ticket] = {}
    for external_id in wanted[: cards_settings.CARDS_IMPORT_MAX_WITHOUT_CONTAINER]:
        try:
            found[external_id] = provider_call(
                account=account, integration=integration,
                call=lambda credentials, external_id=external_id: (
                    provider.fetch_ticket_summary(credentials, external_id)
                ),
            )
        except (errors.ProviderNotFound, errors.ProviderForbidden):
            continue
    return found


def cards_import(
    *, board: Board, integration: str, external_ids: list[str], acting_user: AbstractBaseUser,
    container_id: str = "", source_ip: str | None = None, webhook_base_url: str | None = None,
) -> ImportResult:
    """Import tickets as cards in one request. With `container_id`, the tickets come from the
    container's listing pages (at most ceil(n / page size) list calls for n tickets, no call per
    ticket); without it, a few tickets are fetched one by one. Idempotent per board and ticket:
    importing again refreshes the stored fields. Subscribes to the container's webhooks."""
    wanted = list(dict.fromkeys(str(value).strip() for value in external_ids if str(value).strip()))
    if not wanted:
        raise errors.InvalidImport(errors.NOTHING_TO_IMPORT)
    if len(wanted) > cards_settings.CARDS_IMPORT_MAX:
        raise errors.InvalidImport(
            errors.TOO_MANY_TO_IMPORT.format(limit=cards_settings.CARDS_IMPORT_MAX)
        )
    limit_single = cards_settings.CARDS_IMPORT_MAX_WITHOUT_CONTAINER
    if not container_id and len(wanted) > limit_single:
        raise errors.InvalidImport(errors.CONTAINER_NEEDED.format(limit=limit_single))
    provider = provider_for(integration, TicketRead, "importing tasks")
    account = installed_account_for(user=acting_user, team=board.team, integration=integration,
                                    source_ip=source_ip)
    if container_id:
        found = _list_wanted(provider=provider, account=account, integration=integration,
                             container_id=container_id, wanted=wanted)
    else:
        found = {}
        for external_id in wanted:
            try:
                found[external_id] = provider_call(
                    account=account, integration=integration,
                    call=lambda credentials, external_id=external_id: (
                        provider.fetch_ticket_summary(credentials, external_id)
                    ),
                )
            except (errors.ProviderNotFound, errors.ProviderForbidden):
                continue
    tickets = [found[external_id] for external_id in wanted if external_id in found]
    with transaction.atomic():
        cards = _cards_store(board=board, integration=integration, tickets=tickets,
                             acting_user=acting_user)
    _after_import(board=board, integration=integration, container_id=container_id,
                  acting_user=acting_user, webhook_base_url=webhook_base_url)
    return ImportResult(cards=cards, missing=[value for value in wanted if value not in found])


def _parse_link(url: str) -> Any:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > URL_MAX_LENGTH:
        raise errors.MalformedLink(errors.MALFORMED_LINK)
    reference = parse_any_link(url)
    if reference is None:
        raise errors.UnknownLink(errors.UNKNOWN_LINK)
    return reference


def _linked_ticket(
    *, board: Board, url: str, acting_user: AbstractBaseUser, source_ip: str | None,
    title_only: bool = False,
) -> tuple[LinkRef, Ticket]:
    """The ticket a pasted link points at, fetched with the user's token (one provider call: its
    stored fields only, or with `title_only` its title alone where the provider can ask for
    less), once the link is understood and its integration installed for the team (or
    requested: InstallRequested)."""
    reference = _parse_link(url)
    integration = reference.provider
    provider = provider_for(integration, TicketRead, "reading tasks")
    if reference.site:
        # A tool with one instance per team (Jira Server): only the team's own server's links
        # can be fetched; parse_link is pure, so this is where the link meets the team.
        connection = provider.connection_for(board.team)
        if connection is None or connection.site != reference.site:
            raise errors.UnknownLink(errors.UNKNOWN_LINK)
    account = installed_account_for(user=acting_user, team=board.team, integration=integration,
                                    source_ip=source_ip)
    read = (provider.fetch_ticket_title if title_only and supports(provider, TicketTitleRead)
            else provider.fetch_ticket_summary)
    ticket = provider_call(
        account=account, integration=integration,
        call=lambda credentials: read(credentials, reference.external_id),
    )
    return reference, ticket


def card_import_from_url(
    *, board: Board, url: str, acting_user: AbstractBaseUser, source_ip: str | None = None,
    webhook_base_url: str | None = None,
) -> CardWidget:
    """A pasted task link as a card (fetched with the user's token). Unknown or malformed links
    are refused; an integration the team lacks starts the install/request flow."""
    reference, ticket = _linked_ticket(board=board, url=url, acting_user=acting_user,
                                       source_ip=source_ip)
    integration = reference.provider
    with transaction.atomic():
        (card,) = _cards_store(board=board, integration=integration, tickets=[ticket],
                               acting_user=acting_user)
    _after_import(board=board, integration=integration, container_id=reference.container_id,
                  acting_user=acting_user, webhook_base_url=webhook_base_url)
    return card


def unfurl(
    *, board: Board, url: str, acting_user: AbstractBaseUser, source_ip: str | None = None
) -> LinkPreview:
    """A link preview: the ticket's title stored on the board, the link itself encrypted.

    Unknown or malformed links get a clear error; a link of an integration the team has not
    installed installs it (team admin) or creates the member's install request (InstallRequested).
    """
    reference, ticket = _linked_ticket(board=board, url=url, acting_user=acting_user,
                                       source_ip=source_ip, title_only=True)
    integration = reference.provider
    return LinkPreview.objects.create(
        board=board, provider=integration, title=(ticket.title or reference.url)[:TITLE_MAX_LENGTH],
        reference=url.strip(), created_by=acting_user,
    )


def card_create(
    *, board: Board, integration: str, container_id: str, title: str, description: str = "",
    extra: dict[str, Any] | None = None, acting_user: AbstractBaseUser,
    source_ip: str | None = None, webhook_base_url: str | None = None,
) -> CardWidget:
    """Create a task in the chosen container (project) with the user's token, then its card."""
    provider = provider_for(integration, TicketCreate, "creating tasks")
    account = installed_account_for(user=acting_user, team=board.team, integration=integration,
                                    source_ip=source_ip)
    new = NewTicket(container_id=container_id, title=title, description=description,
                    extra=extra or {})
    submitted = {"container": container_id, "title": title, "description": description}
    ticket = provider_call(
        account=account, integration=integration,
        call=lambda credentials: provider.create_ticket(credentials, new),
        detail={"submitted": submitted},
    )
    with transaction.atomic():
        (card,) = _cards_store(board=board, integration=integration, tickets=[ticket],
                               acting_user=acting_user)
    _after_import(board=board, integration=integration, container_id=container_id,
                  acting_user=acting_user, webhook_base_url=webhook_base_url)
    return card


def _if_match_passes(if_match: str, etag: str) -> bool:
    """RFC 9110 13.1.1: `*` matches any stored card; otherwise one of the listed entity tags
    must equal the card's by strong comparison (a weak `W/` tag never matches)."""
    tags = [tag.strip() for tag in if_match.split(",") if tag.strip()]
    if tags == ["*"]:
        return True
    return etag in tags


def card_update(
    *, card: CardWidget, acting_user: AbstractBaseUser, title: str | None = None,
    description: str | None = None, completed: bool | None = None, if_match: str | None = None,
) -> CardWidget:
    """Write the change to the tool with the user's token, then store what the tool answered.

    Serialised per card (cards.card_locks): the write to the tool and the save of its answer
    happen under the card's lock, so after any interleaving of edits the stored card equals what
    the tool holds. With `if_match` (the client's ETag), a card whose version changed since is
    not written at all: CardChanged (412) carries the current values and the submitted ones.
    Without it, the last write wins, as before.

    When the tool refuses (403, 404, 409, 422, 429, 5xx, timeout) the card keeps its last good
    data, `sync_error` says what happened, and the raised ProviderRefused carries
    `detail.submitted` (what the user typed) so nothing is lost. A success clears `sync_error`.
    """
    changes = TicketChanges(title=title, description=description, completed=completed)
    submitted = changes.as_dict()
    if not submitted:
        raise errors.NothingToChange(errors.NOTHING_TO_CHANGE)
    integration = card.provider
    provider = provider_for(integration, TicketUpdate, "editing tasks")
    try:
        account = account_for(user=acting_user, team=card.board.team, integration=integration)
    except ApplicationError as error:
        # Not connected, or the account needs reconnecting: the tool was not asked, the card is
        # unchanged, and the values come back for the retry after connecting.
        error.detail = {**error.detail, "submitted": submitted}
        raise
    with card_lock(card_id=card.pk) as held:
        current = card
        if if_match is not None:
            # The version is compared with the card as stored now, under the lock; without
            # If-Match nothing of the stored card is read: the tool's answer replaces every
            # stored field, and the UPDATE below finds a card deleted meanwhile.
            current = card_for_update(card_id=card.pk)
            if current is None:
                raise errors.CardNotFound(errors.CARD_NOT_FOUND.format(card=card.pk))
            if not _if_match_passes(if_match, card_etag(current)):
                raise errors.CardChanged(errors.CARD_CHANGED, detail={
                    "current": {**card_values(current), "etag": card_etag(current)},
                    "submitted": submitted,
                })
        try:
            ticket = provider_call(
                account=account, integration=integration,
                call=lambda credentials: provider.update_ticket(
                    credentials, current.external_id, changes
                ),
                detail={"submitted": submitted},
            )
        except errors.ProviderRefused as error:
            current.sync_error = error.message
            CardWidget.objects.filter(pk=current.pk).update(sync_error=current.sync_error)
            raise
        except ApplicationError as error:
            error.detail = {**error.detail, "submitted": submitted}
            raise
        if not _card_answer_store(card=current, ticket=ticket, held=held):
            # Deleted while the tool was being written: the task has the change, the card is
            # gone, as if the deletion had come right after the edit.
            raise errors.CardNotFound(errors.CARD_NOT_FOUND.format(card=card.pk))
        return current


def _card_answer_store(*, card: CardWidget, ticket: Ticket, held: CardLock) -> bool:
    """The tool's answer on the card, in one UPDATE of the stored fields sent with the card
    lock's release; False when the card is no longer stored."""
    values = {**_stored_values(ticket), "synced_at": timezone.now(), "sync_error": ""}
    for name, value in values.items():
        setattr(card, name, value)
    return held.update_and_release(CardWidget.objects.filter(pk=card.pk), values) == 1


def _card_refresh(*, card: CardWidget, ticket: Ticket) -> CardWidget:
    for name, value in _stored_values(ticket).items():
        setattr(card, name, value)
    card.synced_at = timezone.now()
    card.sync_error = ""
    card.save(update_fields=[*STORED_FIELDS, "synced_at", "sync_error"])
    return card


def card_details(*, card: CardWidget, viewer: AbstractBaseUser) -> CardDetails:
    """The live ticket with the viewer's own token: refreshes the stored fields and returns the
    live-only details without storing them. A viewer without a connection gets NeedsConnection;
    a viewer the tool refuses gets NoAccess, and the card is left exactly as it was."""
    integration = card.provider
    provider = provider_for(integration, TicketRead, "reading tasks")
    account = account_for(user=viewer, team=card.board.team, integration=integration)
    # Under the card's lock: a read that began before an edit cannot be stored after the edit's
    # answer and undo it.
    with card_lock(card_id=card.pk):
        try:
            ticket = provider_call(
                account=account, integration=integration,
                call=lambda credentials: provider.fetch_ticket(credentials, card.external_id),
            )
        except (errors.ProviderForbidden, errors.ProviderNotFound) as error:
            raise errors.NoAccess(
                errors.NO_ACCESS.format(integration=integration_name(integration)),
                detail={"provider_status": error.detail.get("provider_status")},
            ) from error
        card = _card_refresh(card=card, ticket=ticket)
    return CardDetails(card=card, details=dict(ticket.details))


def card_delete(*, card: CardWidget, acting_user: AbstractBaseUser) -> None:
    """Removes the card from its board; the task in the tool is left alone."""
    card.delete()


def card_refresh_from_tickets(
    *, cards: list[CardWidget], tickets: dict[str, Ticket] | None = None,
    fetch: Callable[[str], Ticket | None] | None = None,
) -> int:
    """Store fresh tickets on their cards (webhook deliveries); returns how many changed.

    Under the cards' locks (cards.card_locks), as edits are: a ticket's cards are locked in id
    order, then the ticket is taken from `tickets` or read with `fetch` (None leaves its cards
    as they are), then each card is re-read and stored. So a read that began before an edit is
    never stored after the edit's answer, and a card deleted meanwhile is skipped."""
    card_ids: dict[str, set[int]] = {}
    for card in cards:
        card_ids.setdefault(card.external_id, set()).add(card.pk)
    count = 0
    for external_id, ids in card_ids.items():
        with ExitStack() as locks:
            for card_id in sorted(ids):
                locks.enter_context(card_lock(card_id=card_id))
            ticket = fetch(external_id) if fetch is not None else (tickets or {}).get(external_id)
            if ticket is None:
                continue
            for card_id in sorted(ids):
                current = card_for_update(card_id=card_id)
                if current is not None:
                    _card_refresh(card=current, ticket=ticket)
                    count += 1
    return count
