"""Creating a Jira issue linked to an Asana card, and the form it is built from.

The form comes from Jira's createmeta (projects, issue types, the required fields the user must
fill). The issue gets the Asana task's live title and description; Asana-hosted attachments are
downloaded with the user's Asana token and uploaded to the issue (multipart, `X-Atlassian-Token:
no-check`); attachments that are links to other services (Dropbox, Google Drive...) are skipped
and listed, as the admin guide says they are expected to be ("they might require additional
authorization"). The link (task gid <-> issue key) is stored keyed on team + Jira base URL, so
it survives reconnecting the server. Both accounts are the user's own, through tokens and the
Provider protocol (cards.provider_calls gives the same errors as every card call).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from approvals.audit import audit_event_record
from cards.models import CardWidget
from cards.provider_calls import (
    account_for,
    integration_ensure_installed,
    provider_call,
    provider_for,
)
from config.errors import ApplicationError
from integrations.jira_server import errors, selectors
from integrations.models import JiraIssueLink, JiraServerConnection
from integrations.providers import NewTicket, Ticket

logger = logging.getLogger(__name__)
JIRA, ASANA = "jira_server", "asana"
ASANA_HOST = "asana"
CREATED_FROM = "Created from Asana task: {url}"


@dataclass
class LinkedIssueResult:
    issue: Ticket
    link: JiraIssueLink
    copied: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "issue": {"key": self.issue.external_id, "url": self.issue.url,
                      "title": self.issue.title, "status": self.issue.status},
            "link": selectors.issue_link_json(self.link),
            "attachments": {"copied": self.copied, "skipped": self.skipped,
                            "failed": self.failed},
        }


def _connection(card: CardWidget) -> JiraServerConnection:
    if card.provider != ASANA:
        raise errors.NeedsAsanaCard(errors.NEEDS_ASANA_CARD)
    team = card.board.team
    connection = selectors.connection_get(team=team)
    if connection is None:
        raise errors.JiraNotSetUp(errors.NOT_SET_UP.format(team=team.name))
    return connection


def linked_issue_form(*, card: CardWidget, acting_user: AbstractBaseUser,
                      project_key: str = "", source_ip: str | None = None) -> dict[str, Any]:
    """Projects and issue types the user can create in (createmeta, with the user's Jira
    token); with `project_key`, each issue type's fields the user must fill in."""
    _connection(card)
    team = card.board.team
    integration_ensure_installed(team=team, integration=JIRA, acting_user=acting_user,
                                 source_ip=source_ip)
    account = account_for(user=acting_user, team=team, integration=JIRA)
    jira = provider_for(JIRA)
    form = provider_call(account=account, integration=JIRA,
                         call=lambda c: jira.create_form(c, container_id=project_key))
    links = selectors.issue_links_for_tasks(team=team, task_gids=[card.external_id])
    return {**form, "title": card.title, "description": card.description,
            "linked_issues": [selectors.issue_link_json(link)
                              for link in links.get(card.external_id, [])]}


def linked_issue_create(
    *, card: CardWidget, acting_user: AbstractBaseUser, project_key: str, issue_type: str = "",
    fields: dict[str, Any] | None = None, source_ip: str | None = None,
) -> LinkedIssueResult:
    """Create the issue, store the link, copy Asana-hosted attachments; links to other services
    are skipped and listed. A file that fails to copy is listed in `failed`; the issue and the
    link stay. Audit event "jira_server.issue_link"."""
    connection = _connection(card)
    team = card.board.team
    integration_ensure_installed(team=team, integration=JIRA, acting_user=acting_user,
                                 source_ip=source_ip)
    jira_account = account_for(user=acting_user, team=team, integration=JIRA)
    asana_account = account_for(user=acting_user, team=team, integration=ASANA)
    asana, jira = provider_for(ASANA), provider_for(JIRA)
    task = provider_call(account=asana_account, integration=ASANA,
                         call=lambda c: asana.fetch_ticket(c, card.external_id))
    attachments = provider_call(account=asana_account, integration=ASANA,
                                call=lambda c: asana.list_attachments(c, card.external_id))
    description = "\n\n".join(part for part in (task.description.strip(),
                                                CREATED_FROM.format(url=task.url)) if part)
    new = NewTicket(container_id=project_key, title=task.title, description=description,
                    extra={"issue_type": issue_type, "fields": dict(fields or {})})
    submitted = {"project": project_key, "issue_type": issue_type, "fields": fields or {}}
    issue = provider_call(account=jira_account, integration=JIRA,
                          call=lambda c: jira.create_ticket(c, new),
                          detail={"submitted": submitted})
    link = _link_store(connection=connection, card=card, issue=issue, acting_user=acting_user,
                       source_ip=source_ip)
    result = LinkedIssueResult(issue=issue, link=link)
    for attachment in attachments:
        _attachment_copy(attachment, result=result, issue_key=issue.external_id,
                         asana_account=asana_account, jira_account=jira_account)
    return result


def _link_store(*, connection: JiraServerConnection, card: CardWidget, issue: Ticket,
                acting_user: AbstractBaseUser, source_ip: str | None) -> JiraIssueLink:
    with transaction.atomic():
        link, _ = JiraIssueLink.objects.get_or_create(
            team=card.board.team, base_url=connection.base_url,
            asana_task_gid=card.external_id, jira_issue_key=issue.external_id,
            defaults={"jira_issue_id": str(issue.details.get("id") or ""),
                      "created_by": acting_user},
        )
        audit_event_record(
            action="jira_server.issue_link", actor=acting_user,
            target=f"Asana task {card.external_id} -> {issue.external_id}",
            team=card.board.team, source_ip=source_ip,
            metadata={"card": card.pk, "asana_task_gid": card.external_id,
                      "jira_issue_key": issue.external_id, "base_url": connection.base_url},
        )
    return link


def _attachment_copy(attachment: dict[str, Any], *, result: LinkedIssueResult, issue_key: str,
                     asana_account: Any, jira_account: Any) -> None:
    name = str(attachment.get("name") or "attachment")
    host = str(attachment.get("host") or "")
    if host != ASANA_HOST or not attachment.get("download_url"):
        result.skipped.append({
            "name": name, "host": host or "external", "url": attachment.get("view_url"),
            "reason": errors.ATTACHMENT_LINK_SKIPPED.format(host=host or "another service"),
        })
        return
    asana, jira = provider_for(ASANA), provider_for(JIRA)
    try:
        filename, content, content_type = provider_call(
            account=asana_account, integration=ASANA,
            call=lambda c: asana.download_attachment(c, attachment))
        uploaded = provider_call(
            account=jira_account, integration=JIRA,
            call=lambda c: jira.add_attachment(c, issue_key, filename=filename, content=content,
                                               content_type=content_type))
    except ApplicationError as error:
        logger.warning("Attachment copy to %s failed: %s", issue_key, error.code)
        result.failed.append({"name": name, "host": host,
                              "reason": errors.ATTACHMENT_COPY_FAILED.format(
                                  message=error.message)})
        return
    result.copied.append({"name": uploaded.get("name") or filename, "size": uploaded.get("size"),
                          "jira_attachment_id": uploaded.get("id")})
