"""On SQLite, a refresh that cannot get the database's write lock in time answers "busy" (a
retryable 503), never a 500 with OperationalError "database is locked".

SQLite-only, so not collected by name (no test_ prefix): test_race_sqlite.py runs it in its
SQLite subprocess. Another connection holds the write lock (BEGIN IMMEDIATE) for longer than
the busy timeout, shortened here to keep the test fast.
"""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connection

from config.errors import api_exception_handler
from tests.tokens.lifecycle_fixtures import make_connected_account
from tokens import errors, services
from tokens.models import ConnectedAccount

pytestmark = pytest.mark.django_db(transaction=True)


def test_refresh_that_cannot_lock_the_database_in_time_is_a_retryable_503(asana, asana_team):
    account, _ = make_connected_account(asana, user=asana_team.member, team=asana_team.team,
                                        expired=True)
    account = ConnectedAccount.objects.get(pk=account.pk)
    connection.close()
    connection.settings_dict["OPTIONS"]["timeout"] = 0.3
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(errors.TokenStoreBusy) as raised:
            services.account_call(account=account, call=lambda credentials: "called")
        response = api_exception_handler(raised.value, {})
        assert response.status_code == 503
        assert response.data["error"]["code"] == "busy"
        assert response.data["error"]["message"] == errors.TOKEN_STORE_BUSY
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        connection.close()
        connection.settings_dict["OPTIONS"]["timeout"] = 30
    assert ConnectedAccount.objects.get(pk=account.pk).status == ConnectedAccount.Status.ACTIVE
