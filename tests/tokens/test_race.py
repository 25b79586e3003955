"""Exactly-once refresh under concurrency, and task retries, with a real Celery worker.

The worker is a subprocess (tests/tokens/lifecycle_fixtures.py `tokens_worker`, thread pool of
8) on the same test database, so these tests commit their data (transaction=True). The Asana
sandbox rotates refresh tokens and revokes the whole grant when a used refresh token comes
back: a double refresh would show up both in its request log and as a dead account.
"""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from approvals.models import AuditEvent
from integrations.errors import ApiUnauthorized
from integrations.providers import Credentials, get_provider
from tests.tokens.lifecycle_fixtures import (
    expire,
    issue_tokens,
    make_connected_account,
    refresh_grants,
)
from tokens import services
from tokens.models import ConnectedAccount, ProviderRevocation

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROUNDS = int(os.environ.get("CONDUIT_RACE_ROUNDS", "20"))  # the SQLite run (test_race_sqlite) takes 10
WORKER_CALLERS = 8  # refresh tasks on the worker
THREAD_CALLERS = 4  # API calls in this process, refreshing on demand
asana_provider = get_provider("asana")


def list_workspaces(credentials):
    return asana_provider.list_workspaces(credentials)


def renew(asana, account: ConnectedAccount) -> ConnectedAccount:
    """A new grant for the account, already expired here and at Asana."""
    body = issue_tokens(asana)
    account.access_token = body["access_token"]
    account.refresh_token = body["refresh_token"]
    account.status = ConnectedAccount.Status.ACTIVE
    account.expires_at = timezone.now() + timedelta(hours=1)
    account.save()
    expire(asana, account)
    return ConnectedAccount.objects.get(pk=account.pk)


def call_in_thread(account_id, barrier: threading.Barrier, failures: list) -> None:
    try:
        account = ConnectedAccount.objects.get(pk=account_id)
        barrier.wait(timeout=10)
        services.account_call(account=account, call=list_workspaces)
    except Exception as error:  # noqa: BLE001 - reported by the test
        failures.append(repr(error))
    finally:
        connection.close()


def test_concurrent_callers_refresh_an_expired_token_exactly_once(asana, asana_team,
                                                                  tokens_worker):
    account, _ = make_connected_account(asana, user=asana_team.member, team=asana_team.team)
    seen_tokens: list[str] = []
    for round_number in range(ROUNDS):
        account = renew(asana, account)
        seen_tokens += [account.access_token, account.refresh_token]
        asana.clear_requests()
        barrier = threading.Barrier(THREAD_CALLERS)
        failures: list[str] = []
        results = [tokens_worker.send("tokens.refresh_account", str(account.pk))
                   for _ in range(WORKER_CALLERS)]
        threads = [threading.Thread(target=call_in_thread, args=(account.pk, barrier, failures))
                   for _ in range(THREAD_CALLERS)]
        for thread in threads:
            thread.start()
        outcomes = [result.get(timeout=30) for result in results]
        for thread in threads:
            thread.join(timeout=30)
        close_old_connections()

        assert failures == [], f"round {round_number}"
        assert set(outcomes) <= {"refreshed", "fresh"}, f"round {round_number}: {outcomes}"
        assert outcomes.count("refreshed") <= 1
        assert len(refresh_grants(asana)) == 1, f"round {round_number}"
        stored = ConnectedAccount.objects.get(pk=account.pk)
        assert stored.status == ConnectedAccount.Status.ACTIVE
        assert stored.access_token != account.access_token
        assert services.account_call(account=stored, call=list_workspaces)  # still works
        account = stored
        seen_tokens += [account.access_token, account.refresh_token]

    worker_log = tokens_worker.log()
    assert "tokens.refresh_account" in worker_log
    assert [token for token in seen_tokens if token in worker_log] == []


def test_worker_retries_a_refresh_after_a_server_error_and_keeps_the_token_meanwhile(
        asana, asana_team, tokens_worker):
    account, _ = make_connected_account(asana, user=asana_team.member, team=asana_team.team)
    account = renew(asana, account)
    asana.clear_requests()
    asana.fault(path_prefix="/-/oauth_token", status=500, times=1)
    result = tokens_worker.send("tokens.refresh_account", str(account.pk))
    assert result.get(timeout=60) == "refreshed"
    grants = refresh_grants(asana)
    assert len(grants) == 2  # the 500, then the retry
    assert grants[1]["time"] - grants[0]["time"] >= 0.9  # after a backoff, not at once
    stored = ConnectedAccount.objects.get(pk=account.pk)
    assert stored.status == ConnectedAccount.Status.ACTIVE
    assert stored.consecutive_failures == 0
    assert services.account_call(account=stored, call=list_workspaces)


def test_worker_retries_a_failed_provider_revocation(asana, asana_team, tokens_worker):
    tokens = issue_tokens(asana)
    revocation = ProviderRevocation(integration="asana", team=asana_team.team,
                                    account_label="test", next_attempt_at=timezone.now())
    revocation.token = tokens["refresh_token"]
    revocation.save()
    asana.fault(path_prefix="/-/oauth_revoke", status=503, times=1)
    result = tokens_worker.send("tokens.send_revocation", str(revocation.pk))
    assert result.get(timeout=60) == "done"
    assert len(asana.requests("/-/oauth_revoke")) == 2
    assert not ProviderRevocation.objects.exists()
    assert AuditEvent.objects.filter(action="account.provider_revoke_failed").count() == 1
    with pytest.raises(ApiUnauthorized):
        asana_provider.list_workspaces(Credentials(access_token=tokens["access_token"]))
