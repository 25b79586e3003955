"""The account a provider call uses, kept per process (tokens.account_cache): a burst of one
person's unfurls reads it once; a disconnect, an uninstall, a needs_reconnect mark or a new
connection is seen on the very next call; another process's change within the generation check;
a change whose notice was lost after TOKEN_ACCOUNT_CACHE_SECONDS; a refresh in this process
drops its kept copy; with Redis unreachable every call reads the account."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.services import integration_uninstall_for_team
from cards import errors, services
from integrations.sandbox.asana.seed import WEBSITE_PROJECT, WEBSITE_TASK_FIRST
from tests.cards.conftest import connect_asana
from tokens.account_cache import GENERATION_KEY
from tokens.models import ConnectedAccount
from tokens.services import account_revoke

pytestmark = pytest.mark.django_db

TASK_LINK = f"https://app.asana.com/0/{WEBSITE_PROJECT}/{WEBSITE_TASK_FIRST}"


def _account_reads(queries: CaptureQueriesContext) -> int:
    return sum("AS team_installed" in query["sql"] for query in queries.captured_queries)


def _unfurl(board, user):
    return services.unfurl(board=board, url=TASK_LINK, acting_user=user)


def _revoked_as_another_process(account: ConnectedAccount) -> None:
    """The account revoked without this process's signals, as another process would."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tokens_connectedaccount SET status = %s WHERE id = %s",
                       [ConnectedAccount.Status.REVOKED, account.pk])


def test_a_burst_of_unfurls_reads_the_account_once(sandbox, board, member, member_account):
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            _unfurl(board, member)
    assert _account_reads(queries) == 1
    assert len(sandbox.requests("/api/1.0")) == 5  # every unfurl still asks Asana


def test_a_disconnect_is_seen_on_the_next_call(sandbox, board, member, member_account):
    _unfurl(board, member)
    account_revoke(account=member_account, acting_user=member, reason="disconnect")
    with pytest.raises(errors.NeedsConnection):
        _unfurl(board, member)


def test_an_uninstall_is_seen_on_the_next_call(sandbox, board, team, admin, member,
                                               member_account):
    _unfurl(board, member)
    integration_uninstall_for_team(team=team, integration="asana", acting_user=admin)
    with pytest.raises(errors.InstallRequested):
        _unfurl(board, member)


def test_a_needs_reconnect_mark_by_a_bulk_update_is_seen_on_the_next_call(
    sandbox, board, member, member_account
):
    _unfurl(board, member)
    ConnectedAccount.objects.filter(pk=member_account.pk).update(
        status=ConnectedAccount.Status.NEEDS_RECONNECT)
    with pytest.raises(errors.NeedsConnection):
        _unfurl(board, member)


def test_a_new_connection_after_a_disconnect_is_used_on_the_next_call(
    sandbox, board, team, member, member_account
):
    _unfurl(board, member)
    account_revoke(account=member_account, acting_user=member, reason="disconnect")
    ConnectedAccount.objects.filter(pk=member_account.pk).delete()
    connect_asana(sandbox, user=member, team=team)
    sandbox.clear_requests()
    _unfurl(board, member)
    assert len(sandbox.requests("/api/1.0")) == 1


def test_another_processs_revocation_is_seen_within_the_generation_check(
    sandbox, board, member, member_account, settings
):
    settings.TOKEN_ACCOUNT_GENERATION_CHECK_SECONDS = 0.5
    _unfurl(board, member)
    _revoked_as_another_process(member_account)
    _unfurl(board, member)  # still kept: no notice yet
    # What that process's receiver does: move the generation every process compares.
    other = redis.Redis.from_url(django_settings.CACHES["default"]["LOCATION"])
    other.incr(next(iter(other.scan_iter(f"*{GENERATION_KEY}"))))
    time.sleep(0.6)
    with pytest.raises(errors.NeedsConnection):
        _unfurl(board, member)


def test_a_change_whose_notice_was_lost_is_seen_after_the_cache_seconds(
    sandbox, board, member, member_account, settings
):
    settings.TOKEN_ACCOUNT_CACHE_SECONDS = 1
    _unfurl(board, member)
    _revoked_as_another_process(member_account)
    _unfurl(board, member)  # still kept: the bound the module documents, not a wish
    time.sleep(1.1)
    with pytest.raises(errors.NeedsConnection):
        _unfurl(board, member)


def test_with_the_cache_off_every_call_reads_the_account(sandbox, board, member,
                                                         member_account, settings):
    settings.TOKEN_ACCOUNT_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            _unfurl(board, member)
    assert _account_reads(queries) == 3


def test_with_redis_unreachable_every_call_reads_the_account(sandbox, board, member,
                                                             member_account, settings):
    settings.TOKEN_ACCOUNT_GENERATION_CHECK_SECONDS = 0  # the first check after the outage
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    _unfurl(board, member)  # kept while Redis was there
    settings.CACHES = {"default": {"BACKEND": "config.cache.DegradingRedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{closed}/0",
                                   "OPTIONS": {"socket_connect_timeout": 1}}}
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            _unfurl(board, member)
    assert _account_reads(queries) == 3
    _revoked_as_another_process(member_account)
    with pytest.raises(errors.NeedsConnection):
        _unfurl(board, member)


def test_with_redis_unreachable_it_is_asked_once_per_check_not_once_per_call(
    sandbox, board, member, member_account, settings, caplog
):
    settings.TOKEN_ACCOUNT_GENERATION_CHECK_SECONDS = 60
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.CACHES = {"default": {"BACKEND": "config.cache.DegradingRedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{closed}/0",
                                   "OPTIONS": {"socket_connect_timeout": 1}}}
    with caplog.at_level("WARNING", logger="config.cache"):
        for _ in range(5):
            _unfurl(board, member)
    attempts = [record for record in caplog.records if record.name == "config.cache"]
    assert 0 < len(attempts) <= 3  # one check: get, add, get


def test_a_refresh_in_this_process_drops_the_kept_account(sandbox, board, member, member_account):
    _unfurl(board, member)
    # The kept account's token expires within the call margin: the next call refreshes it.
    ConnectedAccount.objects.filter(pk=member_account.pk).update(
        expires_at=timezone.now() + timedelta(seconds=5))
    _unfurl(board, member)
    refreshed = ConnectedAccount.objects.get(pk=member_account.pk)
    assert refreshed.access_token != member_account.access_token
    sandbox.clear_requests()
    with CaptureQueriesContext(connection) as queries:
        _unfurl(board, member)
    # Not the kept account, whose token expired within the margin: that one would refresh
    # again, under the row lock.
    assert not [query for query in queries.captured_queries if "FOR UPDATE" in query["sql"]]
    assert len(sandbox.requests("/api/1.0")) == 1


def test_last_used_at_is_written_once_per_resolution_with_a_kept_account(
    sandbox, board, member, member_account, settings
):
    settings.TOKEN_LAST_USED_RESOLUTION_SECONDS = 60
    ConnectedAccount.objects.filter(pk=member_account.pk).update(
        last_used_at=timezone.now() - timedelta(hours=1))
    with CaptureQueriesContext(connection) as queries:
        for _ in range(4):
            _unfurl(board, member)
    writes = [query for query in queries.captured_queries
              if query["sql"].startswith("UPDATE") and "last_used_at" in query["sql"]]
    assert len(writes) == 1


def test_each_call_gets_its_own_account_object(sandbox, board, team, member, member_account):
    from tokens.selectors import account_for_call

    first = account_for_call(user=member, team=team, integration="asana")
    first.status = ConnectedAccount.Status.REVOKED  # a caller's change stays its own
    second = account_for_call(user=member, team=team, integration="asana")
    assert second is not first
    assert second.status == ConnectedAccount.Status.ACTIVE
