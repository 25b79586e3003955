"""A worker killed with SIGKILL in the middle of refresh calls costs no account, whether it
refreshed one account per task or a sweep chunk's group.

The Asana sandbox rotates refresh tokens with a reuse window (`refresh_reuse_seconds`, as Okta
and Auth0 have) and holds the refresh answers back (`lose_refresh_answers`), so the worker is
killed after the provider spent every refresh token it sent and before any answer arrived:
the worst moment. Tasks acknowledge late, so their messages stay in Redis; a replacement
worker (with the short visibility timeout of the test workers) gets them again, and each
refresh, finding its attempt on record, is retried with the same refresh token.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.db import close_old_connections

from integrations.providers import get_provider
from tests.factories import make_member
from tests.tokens.lifecycle_fixtures import (
    expire,
    expiring_accounts,
    make_connected_account,
    refresh_grants,
    start_worker,
    stop_worker,
)
from tokens import services
from tokens.models import ConnectedAccount

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ACCOUNTS = 5
asana_provider = get_provider("asana")


def list_workspaces(credentials):
    return asana_provider.list_workspaces(credentials)


def wait_for(condition, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.1)


def test_refreshes_of_a_worker_killed_mid_call_are_redelivered_and_keep_every_account(
        asana, asana_team, asana_sandbox, tokens_worker, tmp_path):
    asana.control("options", rotate_refresh_tokens=True, refresh_reuse_seconds=120)
    accounts = []
    for number in range(ACCOUNTS):
        user = make_member(asana_team.team, f"member-{number}")
        account, _ = make_connected_account(asana, user=user, team=asana_team.team)
        expire(asana, account)
        accounts.append(ConnectedAccount.objects.get(pk=account.pk))
    asana.clear_requests()
    asana.control("lose_refresh_answers", times=ACCOUNTS, hang_seconds=90)

    queue = f"{tokens_worker.queue}-killed"
    victim = start_worker(asana_sandbox=asana_sandbox, queue=queue,
                          log_path=tmp_path / "victim.log", concurrency=ACCOUNTS)
    replacement = None
    try:
        results = [tokens_worker.client.send_task("tokens.refresh_account",
                                                  args=[str(account.pk)], queue=queue)
                   for account in accounts]
        wait_for(lambda: len(refresh_grants(asana)) == ACCOUNTS, 30,
                 "the worker did not send every refresh")
        time.sleep(0.5)  # the sandbox spends each token right after logging its request
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)

        close_old_connections()
        for account in accounts:
            stored = ConnectedAccount.objects.get(pk=account.pk)
            assert stored.refresh_attempt_started_at is not None  # recorded before the call
            assert stored.refresh_token == account.refresh_token  # spent at the provider
        killed_at = time.monotonic()
        replacement = start_worker(asana_sandbox=asana_sandbox, queue=queue,
                                   log_path=tmp_path / "replacement.log")
        outcomes = [result.get(timeout=60) for result in results]
        redelivered_after = time.monotonic() - killed_at
    finally:
        stop_worker(victim)
        if replacement is not None:
            stop_worker(replacement)

    assert outcomes == ["refreshed"] * ACCOUNTS
    print(f"redelivered {redelivered_after:.1f}s after the kill")
    assert redelivered_after < 45  # seconds: the visibility timeout, not Celery's default hour
    _assert_each_kept_with_a_new_token(accounts)


def test_group_of_a_worker_killed_mid_call_is_redelivered_and_keeps_every_account(
        asana, asana_team, asana_sandbox, tokens_worker, tmp_path):
    asana.control("options", rotate_refresh_tokens=True, refresh_reuse_seconds=120)
    accounts = expiring_accounts(asana, asana_team.team, ACCOUNTS)
    asana.control("lose_refresh_answers", times=1, hang_seconds=90)

    queue = f"{tokens_worker.queue}-killed-group"
    victim = start_worker(asana_sandbox=asana_sandbox, queue=queue,
                          log_path=tmp_path / "victim.log", concurrency=1)
    replacement = None
    try:
        # one chunk, one group: the attempts of all are recorded, then the first call hangs
        result = tokens_worker.client.send_task(
            "tokens.refresh_accounts", args=[[str(account.pk) for account in accounts]],
            queue=queue)
        wait_for(lambda: len(refresh_grants(asana)) == 1, 30, "the worker sent no refresh")
        time.sleep(0.5)  # the sandbox spends the token right after logging its request
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)

        close_old_connections()
        for account in accounts:
            stored = ConnectedAccount.objects.get(pk=account.pk)
            assert stored.refresh_attempt_started_at is not None  # recorded before any call
            assert stored.refresh_token == account.refresh_token
        replacement = start_worker(asana_sandbox=asana_sandbox, queue=queue,
                                   log_path=tmp_path / "replacement.log")
        outcome = result.get(timeout=60)
    finally:
        stop_worker(victim)
        if replacement is not None:
            stop_worker(replacement)

    assert outcome == {"refreshed": ACCOUNTS}
    assert len(refresh_grants(asana)) == ACCOUNTS + 1  # the lost answer's token sent again
    _assert_each_kept_with_a_new_token(accounts)


def _assert_each_kept_with_a_new_token(accounts) -> None:
    """Every account active, its attempt answered, its refresh token replaced, and usable."""
    close_old_connections()
    for account in accounts:
        stored = ConnectedAccount.objects.get(pk=account.pk)
        assert stored.status == ConnectedAccount.Status.ACTIVE
        assert stored.refresh_attempt_started_at is None
        assert stored.refresh_token != account.refresh_token
        assert services.account_call(account=stored, call=list_workspaces)
