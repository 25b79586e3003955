"""A refresh the provider processed but whose answer Conduit never read costs no account.

The Asana sandbox rotates refresh tokens here, with a reuse window as Okta and Auth0 have
(`refresh_reuse_seconds`), and its `lose_refresh_answers` control processes a refresh and then
holds the answer back longer than Conduit's read timeout (shortened here for speed): the
refresh token Conduit still holds is spent at the provider. These tests run in-process; the
worker killed mid-call is in test_worker_kill.py.
"""

from __future__ import annotations

import pytest

from approvals.models import AuditEvent
from integrations.asana import oauth as asana_oauth
from integrations.errors import ApiTimeout
from integrations.providers import get_provider
from tests.tokens.lifecycle_fixtures import expire, make_connected_account, refresh_grants
from tokens import errors, services
from tokens.models import ConnectedAccount

pytestmark = pytest.mark.django_db

REUSE_SECONDS = 30
asana_provider = get_provider("asana")


def list_workspaces(credentials):
    return asana_provider.list_workspaces(credentials)


@pytest.fixture
def account(asana, asana_team, monkeypatch):
    monkeypatch.setattr(asana_oauth, "TIMEOUT", (5.0, 0.5))  # a short read timeout, for speed
    asana.control("options", rotate_refresh_tokens=True, refresh_reuse_seconds=REUSE_SECONDS)
    account, _ = make_connected_account(asana, user=asana_team.member, team=asana_team.team)
    expire(asana, account)
    return ConnectedAccount.objects.get(pk=account.pk)


def test_lost_answer_is_retried_at_once_with_the_same_refresh_token(asana, account):
    asana.control("lose_refresh_answers", times=1, hang_seconds=2)
    assert services.account_call(account=account, call=list_workspaces)
    assert len(refresh_grants(asana)) == 2  # the lost one, then the retry in the reuse window
    stored = ConnectedAccount.objects.get(pk=account.pk)
    assert stored.status == ConnectedAccount.Status.ACTIVE
    assert stored.refresh_attempt_started_at is None  # the attempt is concluded
    assert stored.refresh_token != account.refresh_token
    assert services.account_call(account=stored, call=list_workspaces)


def test_attempt_is_recorded_before_the_call_and_kept_while_its_answer_is_lost(asana, account):
    asana.control("lose_refresh_answers", times=2, hang_seconds=2)
    with pytest.raises(ApiTimeout):
        services.account_refresh(account=account)
    stored = ConnectedAccount.objects.get(pk=account.pk)
    assert stored.refresh_attempt_started_at is not None
    assert (stored.access_token, stored.refresh_token) == (account.access_token,
                                                          account.refresh_token)
    # The next refresh, within the provider's reuse window, still has the account.
    refreshed = services.account_refresh(account=stored)
    assert refreshed.access_token != account.access_token
    assert refreshed.refresh_attempt_started_at is None
    assert services.account_call(account=refreshed, call=list_workspaces)


def test_one_invalid_grant_after_a_lost_answer_is_rechecked_before_marking(asana, account):
    asana.control("lose_refresh_answers", times=2, hang_seconds=2)
    with pytest.raises(ApiTimeout):
        services.account_refresh(account=account)
    asana.fault(path_prefix="/-/oauth_token", status=400, times=1,
                body={"error": "invalid_grant", "error_description": "try again"})
    stored = ConnectedAccount.objects.get(pk=account.pk)
    assert services.account_call(account=stored, call=list_workspaces)
    assert ConnectedAccount.objects.get(pk=account.pk).status == ConnectedAccount.Status.ACTIVE
    assert not AuditEvent.objects.filter(action="account.needs_reconnect").exists()


def test_invalid_grant_twice_after_a_lost_answer_marks_the_account(asana, account):
    asana.control("lose_refresh_answers", times=2, hang_seconds=2)
    with pytest.raises(ApiTimeout):
        services.account_refresh(account=account)
    asana.control("revoke_token", token=account.refresh_token)  # the user revoked the app
    with pytest.raises(errors.AccountNeedsReconnect):
        services.account_refresh(account=ConnectedAccount.objects.get(pk=account.pk))
    assert len(refresh_grants(asana)) == 4  # 2 lost, the invalid_grant and its re-check
    assert (ConnectedAccount.objects.get(pk=account.pk).status
            == ConnectedAccount.Status.NEEDS_RECONNECT)
