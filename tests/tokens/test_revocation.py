"""Revocation (Disconnect, uninstall for team / for me) and the retention purge, against the
Asana sandbox: local credentials go at once, the provider's grant is revoked after commit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from approvals import services as approval_services
from approvals.audit_sentences import audit_sentence
from approvals.models import AuditEvent, Installation, InstallRequest
from integrations.errors import ApiUnauthorized
from integrations.providers import Credentials, get_provider
from tests.factories import make_member, make_team
from tests.tokens.lifecycle_fixtures import assert_revoked, make_connected_account, usable_accounts
from tokens import services, tasks
from tokens.models import ConnectedAccount, ProviderRevocation

pytestmark = pytest.mark.django_db

asana_provider = get_provider("asana")
DISCONNECT = reverse("tokens:disconnect", args=["asana"])
PAGE = reverse("tokens:integrations")


def works_at_asana(access_token: str) -> bool:
    try:
        asana_provider.list_workspaces(Credentials(access_token=access_token))
    except ApiUnauthorized:
        return False
    return True


def csrf_client(user) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get(PAGE).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return client, token


@pytest.fixture
def account(asana, asana_team):
    account, _ = make_connected_account(asana, user=asana_team.member, team=asana_team.team)
    return account


def test_disconnect_revokes_at_asana_and_keeps_the_account_as_revoked(
        asana, account, django_capture_on_commit_callbacks):
    client, token = csrf_client(account.user)
    access_token = account.access_token
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DISCONNECT, {"team": account.team_id,
                                            "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == PAGE
    assert_revoked(account, reason="disconnect")
    assert ConnectedAccount.objects.get(pk=account.pk).revoked_by == account.user
    assert not ProviderRevocation.objects.exists()
    assert len(asana.requests("/-/oauth_revoke")) == 1
    assert not works_at_asana(access_token)  # the refresh token's whole grant is gone
    event = AuditEvent.objects.get(action="account.revoke")
    assert event.actor == account.user and event.metadata["reason"] == "disconnect"
    assert audit_sentence(event).startswith(
        f"{account.user} revoked {account.user}'s Asana account ({account.provider_account_name}): ")


def test_disconnect_without_the_csrf_token_is_refused(asana, account):
    client, _ = csrf_client(account.user)
    assert client.post(DISCONNECT, {"team": account.team_id}).status_code == 403
    assert ConnectedAccount.objects.filter(pk=account.pk).exists()


def test_disconnect_is_post_only(client, asana, account):
    client.force_login(account.user)
    assert client.get(DISCONNECT).status_code == 405
    assert ConnectedAccount.objects.filter(pk=account.pk).exists()


def test_revocation_endpoint_down_still_deletes_local_credentials_and_records_the_failure(
        client, asana, account, django_capture_on_commit_callbacks):
    asana.fault(path_prefix="/-/oauth_revoke", status=503)
    client.force_login(account.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DISCONNECT, {"team": account.team_id})
    assert response.status_code == 302
    assert_revoked(account, reason="disconnect")
    failed = AuditEvent.objects.get(action="account.provider_revoke_failed")
    assert failed.metadata["error"] == "ApiUnavailable 503" and failed.metadata["attempt"] == 1
    pending = ProviderRevocation.objects.get()
    assert pending.attempts == 1 and pending.next_attempt_at > timezone.now()
    assert works_at_asana(account.access_token)  # not revoked yet: the retry will

    asana.clear_faults()
    ProviderRevocation.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert tasks.send_due_revocations.delay().get() == 1  # the beat job's retry (eager here)
    assert not ProviderRevocation.objects.exists()
    assert not works_at_asana(account.access_token)


def test_revocation_that_keeps_failing_is_abandoned_and_audited(asana, account, settings,
                                                                  django_capture_on_commit_callbacks):
    settings.TOKEN_REVOCATION_MAX_ATTEMPTS = 2
    asana.fault(path_prefix="/-/oauth_revoke", status=500)
    with django_capture_on_commit_callbacks(execute=True):
        services.account_revoke(account=account, acting_user=None, reason="console")
    revocation = ProviderRevocation.objects.get()
    assert services.revocation_send(revocation_id=revocation.pk) is None
    assert not ProviderRevocation.objects.exists()
    assert AuditEvent.objects.filter(action="account.provider_revoke_abandoned").count() == 1


def test_uninstall_for_team_revokes_every_members_account_of_that_team_only(
        asana, asana_team, django_capture_on_commit_callbacks):
    mine, _ = make_connected_account(asana, user=asana_team.member, team=asana_team.team)
    admins, _ = make_connected_account(asana, user=asana_team.admin, team=asana_team.team)
    other_team = make_team("Globex")
    outsider, _ = make_connected_account(asana, user=make_member(other_team),
                                         team=other_team)
    with django_capture_on_commit_callbacks(execute=True):
        revoked = approval_services.integration_uninstall_for_team(
            team=asana_team.team, integration="asana", acting_user=asana_team.admin)
    assert revoked == 2
    assert list(usable_accounts()) == [outsider]
    assert_revoked(mine, reason="uninstall_for_team")
    assert len(asana.requests("/-/oauth_revoke")) == 2
    assert not works_at_asana(mine.access_token) and not works_at_asana(admins.access_token)
    assert works_at_asana(outsider.access_token)
    reasons = set(AuditEvent.objects.filter(action="account.revoke")
                  .values_list("metadata__reason", flat=True))
    assert reasons == {"uninstall_for_team"}


def test_uninstall_for_me_revokes_only_my_account(client, asana, asana_team, account,
                                                  django_capture_on_commit_callbacks):
    admins, _ = make_connected_account(asana, user=asana_team.admin, team=asana_team.team)
    client.force_login(asana_team.member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("tokens:uninstall_for_me", args=["asana"]),
                               {"team": asana_team.team.pk})
    assert response.status_code == 302
    assert list(usable_accounts()) == [admins]
    assert_revoked(account, reason="uninstall_for_me")
    assert Installation.objects.filter(team=asana_team.team).exists()
    assert not works_at_asana(account.access_token)
    assert AuditEvent.objects.filter(action="integration.uninstall_for_me").exists()


def test_member_request_install_button_creates_one_pending_request(client, asana):
    team = make_team("Initech")
    member = make_member(team)
    client.force_login(member)
    url = reverse("tokens:request_install", args=["asana"])
    for _ in range(2):
        assert client.post(url, {"team": team.pk}).status_code == 302
    assert InstallRequest.objects.filter(status="pending", requested_by=member).count() == 1
    page = client.get(PAGE).content.decode()
    assert "Your install request: <strong>Pending</strong>" in page


def test_purge_deletes_credentials_unused_for_the_retention_period(
        asana, asana_team, settings, django_capture_on_commit_callbacks):
    settings.TOKEN_RETENTION_DAYS = 7
    stale, _ = make_connected_account(asana, user=asana_team.member, team=asana_team.team)
    recent, _ = make_connected_account(asana, user=asana_team.admin, team=asana_team.team)
    ConnectedAccount.objects.filter(pk=stale.pk).update(
        last_used_at=timezone.now() - timedelta(days=8))
    ConnectedAccount.objects.filter(pk=recent.pk).update(
        last_used_at=timezone.now() - timedelta(days=6))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.purge_unused_accounts.delay().get() == 1
    purged = ConnectedAccount.objects.get(pk=stale.pk)
    assert purged.status == ConnectedAccount.Status.NEEDS_RECONNECT
    assert (purged.access_token, purged.refresh_token, purged.expires_at) == (None, None, None)
    assert not works_at_asana(stale.access_token)  # revoked at Asana too
    assert ConnectedAccount.objects.get(pk=recent.pk).access_token == recent.access_token
    assert AuditEvent.objects.filter(action="account.purge").count() == 1


def test_purged_user_is_asked_to_reconnect(client, asana, account):
    ConnectedAccount.objects.filter(pk=account.pk).update(
        last_used_at=timezone.now() - timedelta(days=30))
    services.accounts_purge_unused()
    client.force_login(account.user)
    page = client.get(PAGE).content.decode()
    assert "needs to be reconnected" in page and ">Reconnect</a>" in page


def test_retention_period_comes_from_settings(asana, account, settings):
    settings.TOKEN_RETENTION_DAYS = 1
    ConnectedAccount.objects.filter(pk=account.pk).update(
        last_used_at=timezone.now() - timedelta(days=2))
    assert services.accounts_purge_unused() == 1
