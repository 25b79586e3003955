"""E-mails to the people a governance decision concerns: admins of a new request, requesters of
each decision.

Services queue them with `transaction.on_commit`, so nobody is told of a change that rolled
back. A mail that cannot be sent is logged and written to the audit log
("notification.failed"), which the console home lists: a failed send is never silent and never
undoes the decision.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from approvals.audit import audit_event_record
from approvals.audit_actions import AuditAction
from approvals.models import InstallRequest, Membership, Team

logger = logging.getLogger(__name__)

NEW_REQUEST_SUBJECT = "{requester} asks to install {integration} for {team}"
NEW_REQUEST_BODY = (
    "{requester} asked to install {integration} for {team}.\n\n"
    "Approve or deny the request in the Conduit console: {url}\n"
)
APPROVED_SUBJECT = "{integration} is now installed for {team}"
APPROVED_BODY = (
    "{admin} approved {integration} for {team}: you can connect your {integration} account now."
)
DENIED_SUBJECT = "Your request for {integration} was declined"
DENIED_BODY = "{admin} declined your request for {integration} in {team}. Their reason: {reason}"


def _emails(users: Iterable) -> list[str]:
    return sorted({user.email for user in users if getattr(user, "email", "")})


def _send(*, team: Team | None, subject: str, body: str, recipients: list[str]) -> bool:
    """Send one mail now; a failure is logged and audited, never raised."""
    if not recipients:
        return True
    try:
        send_mail(subject, body, None, recipients, fail_silently=False)
    except Exception as error:  # any backend failure (SMTP, socket, TLS) must not undo a decision
        logger.warning("Could not send %r to %d recipient(s): %s", subject, len(recipients),
                       type(error).__name__)
        audit_event_record(
            action=AuditAction.NOTIFICATION_FAILED, target=subject, team=team,
            metadata={"subject": subject, "recipients": recipients,
                      "error": f"{type(error).__name__}: {error}"[:200]},
        )
        return False
    return True


def _on_commit(**mail: object) -> None:
    transaction.on_commit(lambda: _send(**mail))


def _console_url(install_request: InstallRequest) -> str:
    try:
        path = reverse("admin:approvals_installrequest_change", args=[install_request.pk])
    except NoReverseMatch:
        path = "/admin/"
    from django.conf import settings

    return (getattr(settings, "CONDUIT_PUBLIC_URL", "") or "").rstrip("/") + path


def notify_install_requested(*, install_request: InstallRequest, integration_name: str) -> None:
    """Tell each admin of the request's team, after commit."""
    team = install_request.team
    admins = get_user_model().objects.filter(
        memberships__team=team, memberships__role=Membership.Role.ADMIN, is_active=True
    )
    values = {"requester": install_request.requested_by.get_username(),
              "integration": integration_name, "team": team.name,
              "url": _console_url(install_request)}
    _on_commit(team=team, subject=NEW_REQUEST_SUBJECT.format(**values),
               body=NEW_REQUEST_BODY.format(**values), recipients=_emails(admins))


def notify_requests_approved(*, team: Team, request_ids: list[int], integration_name: str,
                             acting_user) -> None:
    """Tell the requesters of the approved requests, after commit."""
    requesters = [
        install_request.requested_by
        for install_request in InstallRequest.objects.filter(pk__in=request_ids)
        .select_related("requested_by")
    ]
    values = {"integration": integration_name, "team": team.name,
              "admin": acting_user.get_username()}
    _on_commit(team=team, subject=APPROVED_SUBJECT.format(**values),
               body=APPROVED_BODY.format(**values), recipients=_emails(requesters))


def notify_request_denied(*, install_request: InstallRequest, integration_name: str,
                          acting_user) -> None:
    """Tell the requester, with the admin's reason, after commit."""
    values = {"integration": integration_name, "team": install_request.team.name,
              "admin": acting_user.get_username(), "reason": install_request.reason}
    _on_commit(team=install_request.team, subject=DENIED_SUBJECT.format(**values),
               body=DENIED_BODY.format(**values),
               recipients=_emails([install_request.requested_by]))
