"""Linked tickets: a ticket created in one tool from a card of another (an Asana card's linked
Jira issue), through the providers' capabilities only, and the links stored as `TicketLink`.

The target provider must be a `LinkTarget` (its create form) and a `TicketCreate`; attachments
are copied when the card's provider has `Attachments` and the target `AttachmentUpload`, files
the source holds only (links to other services are skipped and listed). Both accounts are the
user's own, through `tokens` (cards.provider_calls), so every provider failure answers in the
error envelope with the tool's status, never a 500.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from approvals.audit import audit_event_record
from approvals.audit_actions import AuditAction
from approvals.models import Team
from cards import errors
from cards.models import CardWidget, TicketLink
from cards.provider_calls import (
    account_for,
    integration_ensure_installed,
    provider_call,
    provider_for,
)
from config.errors import ApplicationError
from integrations.providers import (
    Attachments,
    AttachmentUpload,
    LinkTarget,
    NewTicket,
    Provider,
    Ticket,
    TicketCreate,
    TicketRead,
    get_provider,
    provider_name,
    supports,
)

logger = logging.getLogger(__name__)
FEATURE = "linked tickets"
CREATED_FROM = "Created from {integration} task: {url}"


@dataclass
class LinkedTicketResult:
    """What creating a linked ticket did: the ticket, its link, and each attachment's fate."""

    ticket: Ticket
    link: TicketLink
    copied: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)


# -- selectors --------------------------------------------------------------------------------


def _target_site(provider: Provider, team: Team) -> str | None:
    """The target tool instance the team reaches now ("" for a tool with one global site), or
    None when the team has not set it up: links are shown only for the team's current site."""
    connection = provider.connection_for(team)
    if connection is None:
        return None if provider.manifest.needs_connection else ""
    return connection.site


def ticket_links_for_card(*, card: CardWidget, target: str | None = None) -> list[TicketLink]:
    """The links from the card's ticket (to `target` only, when given) that point at the
    team's current site of each target tool; links to a tool no longer enabled are left out."""
    team = card.board.team
    links = TicketLink.objects.filter(team=team, source_provider=card.provider,
                                      source_external_id=card.external_id)
    if target is not None:
        links = links.filter(target_provider=target)
    sites: dict[str, str | None] = {}
    found = []
    for link in links:
        if link.target_provider not in sites:
            try:
                provider = get_provider(link.target_provider)
            except LookupError:
                sites[link.target_provider] = None
            else:
                sites[link.target_provider] = _target_site(provider, team)
        if sites[link.target_provider] == link.target_site:
            found.append(link)
    return found


def ticket_links_count(*, team: Team, target_provider: str, target_site: str = "") -> int:
    """How many links of the team point at this target tool instance."""
    return TicketLink.objects.filter(team=team, target_provider=target_provider,
                                     target_site=target_site).count()


def ticket_link_json(link: TicketLink) -> dict[str, Any]:
    return {"source_provider": link.source_provider, "source_id": link.source_external_id,
            "target_provider": link.target_provider,
            "target_name": provider_name(link.target_provider),
            "key": link.target_external_id, "url": link.target_url,
            "created_at": link.created_at.isoformat()}


# -- services ---------------------------------------------------------------------------------


def _target_for(card: CardWidget, target: str) -> tuple[Any, str]:
    """The target provider and the team's site of it, once the card may be linked to it;
    raises NotSupported (400) or LinkTargetNotSetUp (409) otherwise."""
    provider = provider_for(target, LinkTarget, FEATURE)
    provider_for(target, TicketCreate, FEATURE)
    if card.provider == target:
        raise errors.NotSupported(errors.LINKED_TICKET_SAME_TOOL.format(
            integration=provider.name))
    provider_for(card.provider, TicketRead, "reading tasks")
    site = _target_site(provider, card.board.team)
    if site is None:
        raise errors.LinkTargetNotSetUp(errors.LINK_TARGET_NOT_SET_UP.format(
            integration=provider.name, team=card.board.team.name))
    return provider, site


def linked_ticket_form(
    *, card: CardWidget, target: str, acting_user: AbstractBaseUser, container_id: str = "",
    source_ip: str | None = None,
) -> dict[str, Any]:
    """The target's create form (read with the user's own token): its containers and ticket
    types, with `container_id` the fields the user must fill in; the card's title and
    description; its links to `target` already made. Installs the target for a team admin, or
    makes a member's install request (InstallRequested)."""
    provider, _ = _target_for(card, target)
    team = card.board.team
    integration_ensure_installed(team=team, integration=target, acting_user=acting_user,
                                 source_ip=source_ip)
    account = account_for(user=acting_user, team=team, integration=target)
    form = provider_call(account=account, integration=target,
                         call=lambda c: provider.create_form(c, container_id=container_id))
    return {**form, "title": card.title, "description": card.description,
            "links": ticket_links_for_card(card=card, target=target)}


def linked_ticket_create(
    *, card: CardWidget, target: str, acting_user: AbstractBaseUser, container_id: str,
    extra: dict[str, Any] | None = None, source_ip: str | None = None,
) -> LinkedTicketResult:
    """Create a ticket in `target` from the card's live ticket (its title, its description
    and a line naming where it came from), with the form's values in `NewTicket.extra`; store
    the link (idempotent per team, source and target ticket) with its audit event in one
    transaction; then copy the attachments the source holds. A file that fails to copy is
    listed in `failed`; the ticket and the link stay."""
    provider, site = _target_for(card, target)
    source = get_provider(card.provider)
    team = card.board.team
    integration_ensure_installed(team=team, integration=target, acting_user=acting_user,
                                 source_ip=source_ip)
    target_account = account_for(user=acting_user, team=team, integration=target)
    source_account = account_for(user=acting_user, team=team, integration=card.provider)
    task = provider_call(account=source_account, integration=card.provider,
                         call=lambda c: source.fetch_ticket(c, card.external_id))
    copying = supports(source, Attachments) and supports(provider, AttachmentUpload)
    attachments = provider_call(
        account=source_account, integration=card.provider,
        call=lambda c: source.list_attachments(c, card.external_id)) if copying else []
    created_from = CREATED_FROM.format(integration=source.name, url=task.url)
    description = "\n\n".join(part for part in (task.description.strip(), created_from) if part)
    new = NewTicket(container_id=container_id, title=task.title, description=description,
                    extra=dict(extra or {}))
    submitted = {"container": container_id, **new.extra}
    ticket = provider_call(account=target_account, integration=target,
                           call=lambda c: provider.create_ticket(c, new),
                           detail={"submitted": submitted})
    link = _link_store(card=card, provider=provider, site=site, ticket=ticket,
                       acting_user=acting_user, source_ip=source_ip)
    result = LinkedTicketResult(ticket=ticket, link=link)
    for attachment in attachments:
        _attachment_copy(attachment, result=result, source=source, target=provider,
                         source_account=source_account, target_account=target_account)
    return result


def _link_store(*, card: CardWidget, provider: Any, site: str, ticket: Ticket,
                acting_user: AbstractBaseUser, source_ip: str | None) -> TicketLink:
    team = card.board.team
    with transaction.atomic():
        link, _ = TicketLink.objects.get_or_create(
            team=team, source_provider=card.provider, source_external_id=card.external_id,
            target_provider=provider.key, target_site=site,
            target_external_id=ticket.external_id,
            defaults={"target_internal_id": str(ticket.details.get("id") or "")[:64],
                      "target_url": ticket.url, "created_by": acting_user},
        )
        audit_event_record(
            action=AuditAction.TICKET_LINK_CREATE, actor=acting_user,
            target=(f"{provider_name(card.provider)} task {card.external_id} -> "
                    f"{provider.name} {ticket.external_id}"),
            team=team, source_ip=source_ip,
            metadata={"card": card.pk, "source_provider": card.provider,
                      "source_id": card.external_id, "target_provider": provider.key,
                      "target_id": ticket.external_id, "target_site": site},
        )
    return link


def _attachment_copy(attachment: dict[str, Any], *, result: LinkedTicketResult, source: Any,
                     target: Any, source_account: Any, target_account: Any) -> None:
    """Copy one file from the source ticket to the linked ticket; a link to another service
    (no download_url) is skipped, a failure is listed: neither undoes the ticket."""
    name = str(attachment.get("name") or "attachment")
    host = str(attachment.get("host") or "")
    if not attachment.get("download_url"):
        result.skipped.append({
            "name": name, "host": host or "external", "url": attachment.get("view_url"),
            "reason": errors.ATTACHMENT_LINK_SKIPPED.format(host=host or "another service",
                                                           integration=source.name),
        })
        return
    key = result.ticket.external_id
    try:
        filename, content, content_type = provider_call(
            account=source_account, integration=source.key,
            call=lambda c: source.download_attachment(c, attachment))
        uploaded = provider_call(
            account=target_account, integration=target.key,
            call=lambda c: target.add_attachment(c, key, filename=filename, content=content,
                                                 content_type=content_type))
    except ApplicationError as error:
        logger.warning("Attachment copy to %s %s failed: %s", target.key, key, error.code)
        result.failed.append({"name": name, "host": host,
                              "reason": errors.ATTACHMENT_COPY_FAILED.format(
                                  message=error.message)})
        return
    result.copied.append({"name": uploaded.get("name") or filename, "size": uploaded.get("size"),
                          "attachment_id": uploaded.get("id")})
