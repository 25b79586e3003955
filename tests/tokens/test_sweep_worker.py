"""The refresh sweep on a real Celery worker: chunks of accounts, each refreshed exactly once,
on database connections the worker keeps across tasks (CELERY_DB_REUSE_MAX)."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from tests.factories import make_member
from tests.tokens.lifecycle_fixtures import expire, make_connected_account, refresh_grants
from tokens import services
from tokens.models import ConnectedAccount

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ACCOUNTS = 12


def database_sessions() -> int:
    """Sessions ever opened on the test database (PostgreSQL's cumulative statistics)."""
    time.sleep(1.2)  # the statistics are flushed at most once a second
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def test_sweep_chunks_refresh_every_account_once_on_kept_connections(
    asana, asana_team, tokens_worker, settings
):
    postgresql = connection.vendor == "postgresql"  # SQLite has no sessions to count
    settings.TOKEN_REFRESH_CHUNK_MAX = 1  # one task per account: the most connection churn
    accounts = []
    for number in range(ACCOUNTS):
        user = make_member(asana_team.team, f"sweep-{number}")
        account, _ = make_connected_account(asana, user=user, team=asana_team.team)
        expire(asana, account)
        accounts.append(ConnectedAccount.objects.get(pk=account.pk))
    asana.clear_requests()
    published: list[list[str]] = []
    services.accounts_refresh_expiring(publish=published.extend)
    tokens_worker.send("tokens.refresh_accounts", published[0]).get(timeout=60)  # warm up
    before = database_sessions() if postgresql else 0

    for chunk in published[1:]:  # one after the other: each may land on any worker thread
        tokens_worker.send("tokens.refresh_accounts", chunk).get(timeout=60)

    if postgresql:
        opened = database_sessions() - before
        assert opened <= 8, f"{opened} new sessions for {len(published) - 1} tasks"  # 8 threads
    assert len(refresh_grants(asana)) == ACCOUNTS
    for account in accounts:
        assert ConnectedAccount.objects.get(pk=account.pk).access_token != account.access_token
