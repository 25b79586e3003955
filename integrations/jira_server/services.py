"""Changing Jira Server connections: register, check, Application Link, webhook, removal.

Governed changes (register, reconnect, remove, Application Link, webhook) run in
`transaction.atomic`, take `acting_user`, and write their audit event in the same transaction
(never a key or a secret in it). Network calls (the check, Jira's answers) happen outside any
transaction. Linked tickets live in cards (`cards.linked_tickets`); webhook deliveries arrive at cards' one
webhook path (`webhooks.webhook_receive`, routed by `webhook_routes`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.errors import ApiError, ApiForbidden, OAuthError
from integrations.jira_server import errors, keys, oauth, selectors, webhooks
from integrations.jira_server.checks import CheckReport, compatibility_check
from integrations.jira_server.links import BaseUrlInvalid, normalize_base_url
from integrations.jira_server.webhook_routes import webhook_route_publish, webhook_route_withdraw
from integrations.models import JiraServerConnection
from integrations.providers import platform

if TYPE_CHECKING:
    from approvals.models import Team

Status = JiraServerConnection.Status
SANDBOX_APPLINKS_PATH = "/_sandbox/applinks"
APPLINK_VERIFY_CALLBACK = "oob"  # RFC 5849 2.1: no callback; the token is never approved
# Longer than the check can take (three requests of at most 5 + 15 s each).
CHECK_STALE_AFTER = timedelta(minutes=3)


def _require_team_admin(*, user: AbstractBaseUser, team: Team) -> None:
    if not (getattr(user, "is_superuser", False) or platform.is_team_admin(user=user, team=team)):
        raise errors.NotTeamAdmin(errors.NOT_TEAM_ADMIN.format(team=team.name))


def _audit(action: str, *, connection: JiraServerConnection, acting_user: AbstractBaseUser | None,
           source_ip: str | None, **metadata: object) -> None:
    # Written by approvals' audit_event_record (registered in integrations.providers.platform).
    platform.audit(
        action=action, actor=acting_user, target=f"Jira Server {connection.base_url}",
        team=connection.team, source_ip=source_ip,
        metadata={"connection": str(connection.pk), "base_url": connection.base_url, **metadata},
    )


def base_url_clean(text: str) -> str:
    try:
        return normalize_base_url(text)
    except BaseUrlInvalid as error:
        raise errors.BaseUrlRefused(str(error)) from None


def registration_refusal(*, team: Team, base_url: str) -> str | None:
    """Why registering `base_url` for `team` would be refused (the console's form asks first)."""
    current = selectors.connection_get(team=team)
    if current is None or current.base_url == base_url:
        return None
    return errors.SECOND_SERVER_REFUSED.format(team=team.name, current=current.base_url,
                                               requested=base_url)


def connection_register(*, team: Team, base_url: str, acting_user: AbstractBaseUser,
                        source_ip: str | None = None) -> JiraServerConnection:
    """Register the team's one Jira Server, with a fresh RSA-2048 key pair and consumer key.

    Idempotent for the same server: registering the base URL the team already has returns the
    existing connection unchanged (its keys, so the Application Link in Jira keeps working),
    audited as "jira_server.reconnect"; issue links are keyed on team + base URL, so they stay
    either way. Another base URL is refused with SecondServerRefused. Audit
    "jira_server.register".
    """
    _require_team_admin(user=acting_user, team=team)
    normalized = base_url_clean(base_url)
    key_pair = keys.key_pair_generate()  # slow-ish: outside the transaction and its lock
    try:
        with transaction.atomic():
            type(team).objects.select_for_update().filter(pk=team.pk).first()
            current = JiraServerConnection.objects.filter(team=team).first()
            if current is not None:
                refusal = registration_refusal(team=team, base_url=normalized)
                if refusal:
                    raise errors.SecondServerRefused(refusal, detail={
                        "current": current.base_url, "requested": normalized})
                _audit("jira_server.reconnect", connection=current, acting_user=acting_user,
                       source_ip=source_ip)
                return current
            connection = JiraServerConnection(
                team=team, base_url=normalized, consumer_key=keys.consumer_key_generate(),
                public_key_pem=key_pair.public_pem, created_by=acting_user,
            )
            connection.private_key_pem = key_pair.private_pem
            connection.webhook_secret = webhooks.secret_generate()
            connection.save()
            _audit("jira_server.register", connection=connection, acting_user=acting_user,
                   source_ip=source_ip, consumer_key=connection.consumer_key)
            return connection
    except IntegrityError:
        # Another admin registered at the same moment: answer as if this came second.
        return connection_register(team=team, base_url=base_url, acting_user=acting_user,
                                   source_ip=source_ip)


def _check_progress(connection: JiraServerConnection) -> Callable[[CheckReport], None]:
    def save(report: CheckReport) -> None:
        # A plain UPDATE, no lock: the console polls these rows while the check runs.
        JiraServerConnection.objects.filter(pk=connection.pk).update(
            check_state=JiraServerConnection.CheckState.RUNNING,
            check_results={**report.as_dict(), "running": True},
        )
    return save


def connection_check(*, connection: JiraServerConnection,
                     acting_user: AbstractBaseUser | None = None,
                     source_ip: str | None = None) -> CheckReport:
    """Run the compatibility check and store its report, version and the resulting status
    (incompatible on a failure; compatible, or active once the Application Link works).

    Each finished item is saved as it comes (check_state "running"), so the console shows
    the progress; no row lock is held while Jira is asked. Audit event "jira_server.check"."""
    report = compatibility_check(connection.base_url, on_item=_check_progress(connection))
    with transaction.atomic():
        locked = JiraServerConnection.objects.select_for_update().get(pk=connection.pk)
        locked.check_state = JiraServerConnection.CheckState.IDLE
        locked.check_results = report.as_dict()
        locked.checked_at = timezone.now()
        if report.version:
            locked.server_version = report.version[:50]
            locked.server_title = report.server_title[:255]
        if not report.passed:
            locked.status = Status.INCOMPATIBLE
        else:
            locked.status = Status.ACTIVE if locked.applink_verified_at else Status.COMPATIBLE
        locked.save(update_fields=["check_results", "checked_at", "server_version",
                                   "server_title", "status", "check_state", "updated_at"])
        _audit("jira_server.check", connection=locked, acting_user=acting_user,
               source_ip=source_ip, outcome=report.outcome, version=report.version)
    connection.refresh_from_db()
    return report


def connection_check_request(*, connection: JiraServerConnection,
                             acting_user: AbstractBaseUser | None = None,
                             source_ip: str | None = None) -> bool:
    """Ask for a compatibility check in the background (the console page shows its progress).

    Idempotent while one is queued or running (False then). The task is sent on commit; see
    tasks.check_enqueue for where it runs."""
    from integrations.jira_server.tasks import check_enqueue

    with transaction.atomic():
        locked = JiraServerConnection.objects.select_for_update().get(pk=connection.pk)
        if locked.check_state != JiraServerConnection.CheckState.IDLE and not _check_stale(locked):
            return False
        locked.check_state = JiraServerConnection.CheckState.QUEUED
        locked.check_requested_at = timezone.now()
        locked.save(update_fields=["check_state", "check_requested_at", "updated_at"])
        arguments = {"connection_id": str(locked.pk),
                     "acting_user_id": getattr(acting_user, "pk", None), "source_ip": source_ip}
        transaction.on_commit(lambda: check_enqueue(**arguments))
    connection.refresh_from_db()
    return True


def _check_stale(connection: JiraServerConnection) -> bool:
    """A check asked for long ago and never finished (a lost message, a killed worker) no
    longer blocks a new one."""
    limit = timezone.now() - CHECK_STALE_AFTER
    return connection.check_requested_at is None or connection.check_requested_at < limit


def applink_verify(*, connection: JiraServerConnection, acting_user: AbstractBaseUser,
                   source_ip: str | None = None) -> JiraServerConnection:
    """Ask Jira for a request token as the connection's consumer: it answers one only when the
    Application Link's incoming OAuth has this consumer key and public key. A refusal raises
    ApplinkNotVerified with Jira's oauth_problem and what to change."""
    _require_team_admin(user=acting_user, team=connection.team)
    try:
        oauth.authorization_start(redirect_uri=APPLINK_VERIFY_CALLBACK,
                                  server=selectors.context_of(connection))
    except ApiError as error:
        with transaction.atomic():
            _audit("jira_server.applink_verify_failed", connection=connection,
                   acting_user=acting_user, source_ip=source_ip,
                   problem=getattr(error, "error", "") or str(error.status or ""))
        raise errors.ApplinkNotVerified(
            errors.APPLINK_NOT_VERIFIED.format(message=error.message),
            detail={"oauth_problem": getattr(error, "error", ""), "status": error.status},
        ) from None
    with transaction.atomic():
        locked = JiraServerConnection.objects.select_for_update().get(pk=connection.pk)
        locked.applink_verified_at = timezone.now()
        if locked.status != Status.INCOMPATIBLE:
            locked.status = Status.ACTIVE
        locked.save(update_fields=["applink_verified_at", "status", "updated_at"])
        _audit("jira_server.applink_verified", connection=locked, acting_user=acting_user,
               source_ip=source_ip)
    connection.refresh_from_db()
    return connection


def applink_register_sandbox(*, connection: JiraServerConnection, acting_user: AbstractBaseUser,
                             base: str, source_ip: str | None = None) -> JiraServerConnection:
    """Do in the Jira simulator what a Jira admin does in the Application Links screen (its
    `/_sandbox/applinks` control), then verify the link. Only for a loopback base URL with
    EGRESS_ALLOW_LOOPBACK on; refused (SandboxOnly) for anything else."""
    _require_team_admin(user=acting_user, team=connection.team)
    if not selectors.sandbox_registration_available(connection):
        raise errors.SandboxOnly(errors.SANDBOX_ONLY)
    import requests

    from integrations.egress import guarded_session

    values = {item.label: item.value for item in selectors.applink_values(connection, base=base)}
    session = guarded_session(allowed_hosts=[connection.base_url])
    try:
        response = session.post(
            connection.base_url + SANDBOX_APPLINKS_PATH,
            json={"consumer_key": connection.consumer_key, "name": values["Consumer Name"],
                  "public_key": values["Public Key"],
                  "callback": values["Consumer Callback URL"]},
            timeout=(5, 10),
        )
    except requests.RequestException as error:
        raise errors.JiraServerError(errors.SANDBOX_REFUSED.format(message=str(error))) from None
    finally:
        session.close()
    if response.status_code >= 400:
        raise errors.JiraServerError(errors.SANDBOX_REFUSED.format(
            message=f"HTTP {response.status_code} {response.text[:200]}"))
    with transaction.atomic():
        _audit("jira_server.applink_register", connection=connection, acting_user=acting_user,
               source_ip=source_ip, consumer_key=connection.consumer_key, sandbox=True)
    return applink_verify(connection=connection, acting_user=acting_user, source_ip=source_ip)


def connection_delete(*, connection: JiraServerConnection, acting_user: AbstractBaseUser,
                      source_ip: str | None = None) -> None:
    """Remove the team's connection (its keys and webhook secret). Issue links stay, keyed on
    team + base URL: registering the same server again shows them again. Users' Jira tokens
    were issued to this consumer and stop working; they reconnect after a new registration."""
    _require_team_admin(user=acting_user, team=connection.team)
    with transaction.atomic():
        _audit("jira_server.remove", connection=connection, acting_user=acting_user,
               source_ip=source_ip)
        webhook_route_withdraw(connection=connection)
        connection.delete()


def webhook_register(*, connection: JiraServerConnection, acting_user: AbstractBaseUser,
                     base: str, source_ip: str | None = None) -> JiraServerConnection:
    """Register Jira's webhook for the connection, with the acting admin's own Jira account
    (Jira lets only its administrators manage webhooks). A previous Conduit webhook of this
    connection is removed first, so there is one."""
    from integrations.providers import get_provider

    _require_team_admin(user=acting_user, team=connection.team)
    if not base:
        raise errors.WebhookNotRegistered(errors.WEBHOOK_NO_PUBLIC_URL)
    provider = get_provider("jira_server")
    target = selectors.webhook_url(connection, base)
    previous = connection.webhook_id
    webhook_route_publish(connection=connection)  # before Jira can post its first delivery

    def with_account(call: Callable) -> Any:
        # The admin's own account, through tokens (integrations.providers.platform).
        return platform.account_call(user=acting_user, team=connection.team,
                                     integration="jira_server", call=call)

    try:
        if previous:
            try:
                with_account(lambda c: provider.server_webhook_delete(c, previous))
            except ApiError:
                pass  # already gone, or not ours to delete: registering matters more
        answer = with_account(lambda c: provider.server_webhook_register(c, target_url=target))
    except platform.NoAccount:
        raise errors.WebhookNotRegistered(errors.WEBHOOK_NEEDS_ACCOUNT) from None
    except ApiForbidden as error:
        raise errors.WebhookNotRegistered(
            errors.WEBHOOK_NEEDS_JIRA_ADMIN.format(message=error.message)) from None
    except (ApiError, OAuthError) as error:
        raise errors.WebhookNotRegistered(
            errors.WEBHOOK_FAILED.format(message=error.message)) from None
    with transaction.atomic():
        locked = JiraServerConnection.objects.select_for_update().get(pk=connection.pk)
        locked.webhook_id = str(answer.get("id") or "")[:50]
        locked.webhook_registered_at = timezone.now()
        locked.save(update_fields=["webhook_id", "webhook_registered_at", "updated_at"])
        _audit("jira_server.webhook_register", connection=locked, acting_user=acting_user,
               source_ip=source_ip, webhook_id=locked.webhook_id)
    connection.refresh_from_db()
    return connection
