"""A sweep chunk's groups on a real Celery worker: racing interactive callers, a 429 in the middle
of a group defers the rest of the chunk after the provider's Retry-After, and a 5xx of one
account becomes that account's own retried task; every account is refreshed exactly once."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import close_old_connections, connection

from integrations.providers import get_provider
from tests.tokens.lifecycle_fixtures import expiring_accounts, refresh_grants
from tokens import services
from tokens.models import ConnectedAccount

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

asana_provider = get_provider("asana")


def list_workspaces(credentials):
    return asana_provider.list_workspaces(credentials)


def refreshed(account: ConnectedAccount) -> bool:
    return ConnectedAccount.objects.get(pk=account.pk).access_token != account.access_token


def wait_for_refreshes(accounts: list[ConnectedAccount], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not all(refreshed(account) for account in accounts):
        if time.monotonic() > deadline:
            raise AssertionError("not every account was refreshed")
        time.sleep(0.1)


def assert_usable(account: ConnectedAccount) -> None:
    stored = ConnectedAccount.objects.get(pk=account.pk)
    assert stored.status == ConnectedAccount.Status.ACTIVE
    assert stored.refresh_attempt_started_at is None
    assert stored.consecutive_failures == 0
    assert services.account_call(account=stored, call=list_workspaces)


def test_rate_limited_group_stores_the_refreshed_and_defers_the_rest_of_the_chunk(
    asana, asana_team, tokens_worker
):
    accounts = expiring_accounts(asana, asana_team.team, 5)
    asana.fault(path_prefix="/-/oauth_token", times=2)  # two refreshes pass
    asana.fault(path_prefix="/-/oauth_token", status=429, retry_after=1, times=1)

    outcome = tokens_worker.send("tokens.refresh_accounts",
                                 [str(account.pk) for account in accounts]).get(timeout=60)

    assert outcome == {"refreshed": 2, "deferred": 3}
    assert all(refreshed(account) for account in accounts[:2])
    wait_for_refreshes(accounts, timeout=30)
    grants = refresh_grants(asana)
    assert len(grants) == 6  # one each, and the 429
    assert grants[3]["time"] - grants[2]["time"] >= 0.9  # after the Retry-After
    for account in accounts:
        assert_usable(account)


def test_server_error_of_one_account_is_retried_in_its_own_task(asana, asana_team,
                                                                 tokens_worker):
    accounts = expiring_accounts(asana, asana_team.team, 3)
    asana.fault(path_prefix="/-/oauth_token", times=1)  # the first refresh passes
    asana.fault(path_prefix="/-/oauth_token", status=500, times=1)

    outcome = tokens_worker.send("tokens.refresh_accounts",
                                 [str(account.pk) for account in accounts]).get(timeout=60)

    assert outcome == {"refreshed": 2, "failed": 1}
    wait_for_refreshes(accounts, timeout=30)
    grants = refresh_grants(asana)
    assert len(grants) == 4  # one each, and the 500
    assert grants[3]["time"] - grants[1]["time"] >= 0.9  # after a backoff, not at once
    for account in accounts:
        assert_usable(account)


def test_chunk_and_interactive_callers_racing_refresh_each_account_exactly_once(
    asana, asana_team, tokens_worker
):
    accounts = expiring_accounts(asana, asana_team.team, 12)
    failures: list[str] = []
    barrier = threading.Barrier(len(accounts) + 1)

    def call(account: ConnectedAccount) -> None:
        try:
            barrier.wait(timeout=10)
            services.account_call(account=account, call=list_workspaces)
        except Exception as error:  # noqa: BLE001 - reported by the test
            failures.append(repr(error))
        finally:
            connection.close()

    # Slow refreshes, so the callers (from the end of the chunk) meet the group mid-call.
    asana.fault(path_prefix="/-/oauth_token", latency_ms=150)
    threads = [threading.Thread(target=call, args=(account,)) for account in accounts[::-1]]
    for thread in threads:
        thread.start()
    result = tokens_worker.send("tokens.refresh_accounts",
                                [str(account.pk) for account in accounts])
    time.sleep(0.3)  # the worker has taken the chunk
    barrier.wait(timeout=10)
    outcome = result.get(timeout=60)
    for thread in threads:
        thread.join(timeout=30)
    close_old_connections()

    assert failures == []
    assert set(outcome) <= {"refreshed", "fresh"} and sum(outcome.values()) == len(accounts)
    assert len(refresh_grants(asana)) == len(accounts)  # the sandbox revokes a grant used twice
    for account in accounts:
        assert refreshed(account)
        assert_usable(account)
