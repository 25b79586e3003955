"""Refresh and use of an account against the Asana sandbox: on demand, by the beat job, and
under faults (no new refresh token, 500, 429, timeout, invalid_grant)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.models import AuditEvent
from integrations.asana import oauth as asana_oauth
from integrations.errors import ApiRateLimited, ApiTimeout, ApiUnavailable
from integrations.providers import get_provider
from tests.tokens.lifecycle_fixtures import expire, make_connected_account, refresh_grants
from tokens import errors, services, tasks
from tokens.models import ConnectedAccount

pytestmark = pytest.mark.django_db

asana_provider = get_provider("asana")


def list_workspaces(credentials):
    return asana_provider.list_workspaces(credentials)


@pytest.fixture
def account(asana, asana_team):
    account, _ = make_connected_account(asana, user=asana_team.member, team=asana_team.team)
    return account


def fresh(account: ConnectedAccount) -> ConnectedAccount:
    return ConnectedAccount.objects.get(pk=account.pk)


def test_call_with_an_expired_token_refreshes_once_then_calls(asana, account):
    expire(asana, account)
    old_access, old_refresh = account.access_token, account.refresh_token
    workspaces = services.account_call(account=fresh(account), call=list_workspaces)
    assert {workspace["name"] for workspace in workspaces}
    assert len(refresh_grants(asana)) == 1
    stored = fresh(account)
    assert stored.access_token != old_access
    assert stored.refresh_token != old_refresh  # the sandbox rotates refresh tokens
    assert stored.expires_at > timezone.now() + timedelta(minutes=50)
    assert stored.last_used_at > timezone.now() - timedelta(seconds=5)


def test_call_answered_401_refreshes_once_and_retries(asana, account):
    asana.control("revoke_token", token=account.access_token)  # not expired by our clock
    workspaces = services.account_call(account=fresh(account), call=list_workspaces)
    assert workspaces
    assert len(refresh_grants(asana)) == 1


def test_refresh_answer_without_refresh_token_keeps_the_stored_one(asana, account):
    asana.control("options", rotate_refresh_tokens=False)
    old_access, old_refresh = account.access_token, account.refresh_token
    services.account_refresh(account=fresh(account), force=True)
    stored = fresh(account)
    assert stored.access_token != old_access
    assert stored.refresh_token == old_refresh
    services.account_refresh(account=stored, force=True)  # and the kept one still works
    assert fresh(account).status == ConnectedAccount.Status.ACTIVE
    assert len(refresh_grants(asana)) == 2


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_during_refresh_keeps_the_tokens_and_is_retryable(asana, account, status):
    expire(asana, account)
    old = fresh(account)
    asana.fault(path_prefix="/-/oauth_token", status=status, times=1)
    with pytest.raises(ApiUnavailable) as raised:
        services.account_refresh(account=old)
    assert raised.value.retryable
    stored = fresh(account)
    assert (stored.access_token, stored.refresh_token) == (old.access_token, old.refresh_token)
    assert stored.status == ConnectedAccount.Status.ACTIVE
    assert stored.consecutive_failures == 1
    services.account_refresh(account=stored)  # the kept refresh token is still good
    assert fresh(account).access_token != old.access_token
    assert fresh(account).consecutive_failures == 0


def test_timeout_during_refresh_keeps_the_tokens(asana, account, monkeypatch):
    monkeypatch.setattr(asana_oauth, "TIMEOUT", (5.0, 0.5))  # a short read timeout, for speed
    expire(asana, account)
    old = fresh(account)
    # Twice: the timed-out refresh is retried at once with the same token (a lost answer).
    asana.fault(path_prefix="/-/oauth_token", hang_seconds=1.5, status=504, times=2)
    with pytest.raises(ApiTimeout):
        services.account_refresh(account=old)
    stored = fresh(account)
    assert (stored.access_token, stored.refresh_token) == (old.access_token, old.refresh_token)
    assert stored.status == ConnectedAccount.Status.ACTIVE


def test_rate_limited_refresh_retries_after_the_providers_retry_after(asana, account):
    expire(asana, account)
    asana.fault(path_prefix="/-/oauth_token", status=429, retry_after=7, times=1)
    with pytest.raises(ApiRateLimited) as raised:
        services.account_refresh(account=fresh(account))
    assert services.retry_delay(raised.value, attempt=0) == 7
    assert fresh(account).status == ConnectedAccount.Status.ACTIVE


def test_retry_delay_backs_off_with_jitter_within_the_cap(settings):
    settings.TOKEN_RETRY_BACKOFF_BASE = 2
    settings.TOKEN_RETRY_BACKOFF_MAX = 30
    delays = [services.retry_delay(ApiUnavailable("x"), attempt) for attempt in range(8)
              for _ in range(20)]
    assert all(1 <= delay <= 30 for delay in delays)
    assert len(set(delays)) > 20  # jittered, not a fixed schedule


def test_call_keeps_using_a_working_token_when_refresh_is_down(asana, account):
    ConnectedAccount.objects.filter(pk=account.pk).update(
        expires_at=timezone.now() + timedelta(seconds=30))  # inside the refresh margin
    asana.fault(path_prefix="/-/oauth_token", status=503)
    assert services.account_call(account=fresh(account), call=list_workspaces)
    assert fresh(account).access_token == account.access_token


def test_invalid_grant_marks_the_account_needs_reconnect_and_the_page_shows_it(
        client, asana, account):
    asana.control("revoke_token", token=account.refresh_token)
    expire(asana, account)
    with pytest.raises(errors.AccountNeedsReconnect) as raised:
        services.account_call(account=fresh(account), call=list_workspaces)
    assert raised.value.code == "needs_reconnect" and raised.value.http_status == 409
    assert raised.value.detail["connect_url"] == "/integrations/asana/connect"
    assert fresh(account).status == ConnectedAccount.Status.NEEDS_RECONNECT
    assert AuditEvent.objects.filter(action="account.needs_reconnect",
                                     metadata__reason="invalid_grant").exists()
    client.force_login(account.user)
    page = client.get(reverse("tokens:integrations")).content.decode()
    assert "needs to be reconnected" in page
    assert f'href="/integrations/asana/connect?team={account.team_id}">Reconnect</a>' in page


def test_account_needing_reconnect_is_not_called(asana, account):
    ConnectedAccount.objects.filter(pk=account.pk).update(
        status=ConnectedAccount.Status.NEEDS_RECONNECT)
    with pytest.raises(errors.AccountNeedsReconnect):
        services.account_call(account=fresh(account), call=list_workspaces)
    assert asana.requests("/api/1.0") == []


def test_beat_job_refreshes_accounts_expiring_within_the_window_only(asana, asana_team,
                                                                     settings):
    settings.TOKEN_REFRESH_WINDOW_SECONDS = 600
    soon, _ = make_connected_account(asana, user=asana_team.member, team=asana_team.team)
    later, _ = make_connected_account(asana, user=asana_team.admin, team=asana_team.team)
    ConnectedAccount.objects.filter(pk=soon.pk).update(
        expires_at=timezone.now() + timedelta(seconds=300))
    assert tasks.refresh_expiring_accounts.delay().get() == 1  # eager in tests
    assert fresh(soon).access_token != soon.access_token
    assert fresh(later).access_token == later.access_token
    assert len(refresh_grants(asana)) == 1
    assert tasks.refresh_expiring_accounts.delay().get() == 0


def test_beat_job_enqueues_every_expiring_account_in_chunks_one_message_each(
    asana, asana_team, settings
):
    settings.TOKEN_REFRESH_CHUNK_MAX = 1  # two accounts: two chunks
    accounts = []
    for user in (asana_team.member, asana_team.admin):
        account, _ = make_connected_account(asana, user=user, team=asana_team.team)
        ConnectedAccount.objects.filter(pk=account.pk).update(
            expires_at=timezone.now() + timedelta(seconds=60))
        accounts.append(account)
    published: list[list[list[str]]] = []

    assert services.accounts_refresh_expiring(publish=published.append) == 2

    assert len(published) == 1  # one publication of all the chunks
    assert sorted(published[0]) == sorted([[str(account.pk)] for account in accounts])


def test_sweep_does_not_enqueue_again_an_account_still_waiting_in_the_queue(
    asana, asana_team, settings
):
    settings.TOKEN_REFRESH_REQUEUE_SECONDS = 300
    waiting, _ = make_connected_account(asana, user=asana_team.member, team=asana_team.team)
    ConnectedAccount.objects.filter(pk=waiting.pk).update(
        expires_at=timezone.now() + timedelta(seconds=120))
    published: list[list[list[str]]] = []

    # a backlog: the worker has not taken the first sweep's message when the next sweeps run
    assert services.accounts_refresh_expiring(publish=published.append) == 1
    assert services.accounts_refresh_expiring(publish=published.append) == 0
    later, _ = make_connected_account(asana, user=asana_team.admin, team=asana_team.team)
    ConnectedAccount.objects.filter(pk=later.pk).update(
        expires_at=timezone.now() + timedelta(seconds=120))
    assert services.accounts_refresh_expiring(publish=published.append) == 1

    assert published == [[[str(waiting.pk)]], [[str(later.pk)]]]  # each account queued once
    assert refresh_grants(asana) == []


def test_sweep_enqueues_again_an_account_whose_message_was_lost(asana, account, settings):
    settings.TOKEN_REFRESH_REQUEUE_SECONDS = 300
    ConnectedAccount.objects.filter(pk=account.pk).update(
        expires_at=timezone.now() + timedelta(seconds=120))
    published: list[list[list[str]]] = []
    assert services.accounts_refresh_expiring(publish=published.append) == 1
    ConnectedAccount.objects.filter(pk=account.pk).update(  # queued long ago, never refreshed
        refresh_queued_at=timezone.now() - timedelta(seconds=301))

    assert services.accounts_refresh_expiring(publish=published.append) == 1
    assert published == [[[str(account.pk)]], [[str(account.pk)]]]


def test_sweep_whose_publication_fails_leaves_the_accounts_to_the_next_sweep(asana, account):
    ConnectedAccount.objects.filter(pk=account.pk).update(
        expires_at=timezone.now() + timedelta(seconds=120))

    def broker_down(chunks: list[list[str]]) -> None:
        raise ConnectionError("broker unreachable")

    with pytest.raises(ConnectionError):
        services.accounts_refresh_expiring(publish=broker_down)
    published: list[list[list[str]]] = []
    assert services.accounts_refresh_expiring(publish=published.append) == 1


def test_refreshed_account_is_no_longer_marked_queued(asana, account):
    ConnectedAccount.objects.filter(pk=account.pk).update(
        expires_at=timezone.now() + timedelta(seconds=120))
    assert tasks.refresh_expiring_accounts.delay().get() == 1  # eager: queued and refreshed
    assert fresh(account).refresh_queued_at is None
    assert len(refresh_grants(asana)) == 1


def test_chunk_size_spreads_the_accounts_over_the_workers(settings):
    settings.TOKEN_REFRESH_WORKERS = 4
    settings.TOKEN_REFRESH_CHUNKS_PER_WORKER = 4
    settings.TOKEN_REFRESH_CHUNK_MAX = 100
    assert services.refresh_chunk_size(10) == 1
    assert services.refresh_chunk_size(1000) == 63
    assert services.refresh_chunk_size(100_000) == 100


def test_refresh_of_a_chunk_is_one_update_of_the_changed_columns(
    asana, asana_team, django_assert_max_num_queries
):
    account, _ = make_connected_account(asana, user=asana_team.member, team=asana_team.team)
    ConnectedAccount.objects.filter(pk=account.pk).update(
        expires_at=timezone.now() + timedelta(seconds=60))
    # two locked transactions (each a SAVEPOINT and its RELEASE here, inside the test's
    # transaction): the attempt record, then the refresh's one UPDATE; no read before the
    # first lock and no join (the sweep needs neither the team nor the user)
    with django_assert_max_num_queries(8) as queries:
        assert tasks.refresh_accounts.delay([str(account.pk)]).get() == {"refreshed": 1}
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 2
    assert all("FOR UPDATE" in sql and "JOIN" not in sql for sql in selects)
    updates = [q["sql"] for q in queries.captured_queries  # an executemany is "N times: ..."
               if q["sql"].startswith("UPDATE") or " times: UPDATE" in q["sql"]]
    assert len(updates) == 2
    assert '"provider_account_name"' not in updates[-1]  # not a full-row UPDATE
    assert fresh(account).access_token != account.access_token
    assert len(refresh_grants(asana)) == 1


def test_refresh_task_of_a_fresh_account_does_nothing(asana, account):
    assert tasks.refresh_account.delay(str(account.pk)).get() == "fresh"
    assert refresh_grants(asana) == []
