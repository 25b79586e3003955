"""The sweep's refresh of a group of accounts (services.accounts_refresh_batch) against the Asana
sandbox: each due account refreshed once, in a number of queries that does not grow with the
group, and each fault (another caller first, invalid_grant, 5xx, 429, a deleted account, the
time budget) confined to its account. The same group on a real worker is in
test_refresh_batch_worker.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from approvals.models import AuditEvent
from config.encryption.keyset import DecryptionError
from integrations.errors import ApiRateLimited, ApiUnavailable
from tests.tokens.lifecycle_fixtures import expiring_accounts, refresh_grants
from tokens import account_cache, services, tasks
from tokens.account_cache import account_key
from tokens.models import ConnectedAccount
from tokens.services import refresh_rows

pytestmark = pytest.mark.django_db


def ids(accounts: list[ConnectedAccount]) -> list[str]:
    return [str(account.pk) for account in accounts]


def stored(account: ConnectedAccount) -> ConnectedAccount:
    return ConnectedAccount.objects.get(pk=account.pk)


def assert_refreshed(account: ConnectedAccount) -> None:
    now = stored(account)
    assert now.access_token != account.access_token
    assert now.expires_at > timezone.now() + timedelta(minutes=50)
    assert now.refresh_attempt_started_at is None
    assert now.status == ConnectedAccount.Status.ACTIVE


def assert_untouched(account: ConnectedAccount) -> None:
    now = stored(account)
    assert (now.access_token, now.refresh_token) == (account.access_token, account.refresh_token)
    assert now.refresh_attempt_started_at is None
    assert now.consecutive_failures == 0


def test_group_of_25_is_refreshed_in_as_many_queries_as_a_group_of_one(
    asana, asana_team, django_assert_max_num_queries
):
    accounts = expiring_accounts(asana, asana_team.team, 26)
    # per group: two transactions (here a SAVEPOINT and its RELEASE each, inside the test's
    # transaction), each one lock of all the rows and one write of all of them
    with django_assert_max_num_queries(8):
        result = services.accounts_refresh_batch(account_ids=ids(accounts[:1]))
    with django_assert_max_num_queries(8) as queries:
        result = services.accounts_refresh_batch(account_ids=ids(accounts[1:]))

    assert result.outcomes == dict.fromkeys(ids(accounts[1:]), "refreshed")
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 2
    if connection.features.has_select_for_update:  # SQLite: the write lock is the lock
        assert all("FOR UPDATE" in sql for sql in selects)
    assert len(refresh_grants(asana)) == 26
    for account in accounts:
        assert_refreshed(account)


def test_account_refreshed_by_another_caller_between_the_two_locks_is_fresh(
    asana, asana_team, monkeypatch
):
    accounts = expiring_accounts(asana, asana_team.team, 3)
    locks = []
    accounts_lock = refresh_rows.accounts_lock

    def another_caller_first(account_ids):
        locks.append(account_ids)
        if len(locks) == 2:  # after the attempts were recorded, before the calls
            services.account_refresh(account=stored(accounts[1]), force=True)
        return accounts_lock(account_ids)

    monkeypatch.setattr(refresh_rows, "accounts_lock", another_caller_first)
    result = services.accounts_refresh_batch(account_ids=ids(accounts))

    assert result.outcomes == {str(accounts[0].pk): "refreshed",
                               str(accounts[1].pk): "fresh",
                               str(accounts[2].pk): "refreshed"}
    assert len(refresh_grants(asana)) == 3  # the other caller's and the group's two
    for account in accounts:
        assert_refreshed(account)


def test_invalid_grant_marks_its_account_and_the_others_are_stored(asana, asana_team):
    accounts = expiring_accounts(asana, asana_team.team, 3)
    asana.control("revoke_token", token=accounts[1].refresh_token)

    result = services.accounts_refresh_batch(account_ids=ids(accounts))

    assert result.outcomes[str(accounts[1].pk)] == "needs_reconnect"
    marked = stored(accounts[1])
    assert marked.status == ConnectedAccount.Status.NEEDS_RECONNECT
    assert marked.refresh_attempt_started_at is None
    assert AuditEvent.objects.filter(action="account.needs_reconnect",
                                     metadata__account=str(accounts[1].pk),
                                     metadata__reason="invalid_grant").exists()
    for account in (accounts[0], accounts[2]):
        assert result.outcomes[str(account.pk)] == "refreshed"
        assert_refreshed(account)


def test_server_error_of_one_account_counts_its_failure_and_keeps_its_tokens(asana, asana_team):
    accounts = expiring_accounts(asana, asana_team.team, 3)
    asana.fault(path_prefix="/-/oauth_token", times=1)  # the first refresh passes
    asana.fault(path_prefix="/-/oauth_token", status=503, times=1)

    result = services.accounts_refresh_batch(account_ids=ids(accounts))

    assert result.outcomes[str(accounts[1].pk)] == "failed"
    assert isinstance(result.failures[str(accounts[1].pk)], ApiUnavailable)
    failed = stored(accounts[1])
    assert (failed.access_token, failed.refresh_token) == (accounts[1].access_token,
                                                          accounts[1].refresh_token)
    assert failed.consecutive_failures == 1
    assert failed.refresh_attempt_started_at is not None  # an unread answer stays on record
    for account in (accounts[0], accounts[2]):
        assert_refreshed(account)
    services.accounts_refresh_batch(account_ids=ids(accounts[1:2]))  # its tokens still work
    assert_refreshed(accounts[1])


def test_rate_limited_group_stores_what_succeeded_and_leaves_the_rest(asana, asana_team):
    accounts = expiring_accounts(asana, asana_team.team, 5)
    asana.fault(path_prefix="/-/oauth_token", times=2)  # two refreshes pass
    asana.fault(path_prefix="/-/oauth_token", status=429, retry_after=3, times=1)

    result = services.accounts_refresh_batch(account_ids=ids(accounts))

    assert result.outcomes == dict.fromkeys(ids(accounts[:2]), "refreshed")
    account_id, error = result.rate_limited
    assert account_id == str(accounts[2].pk) and isinstance(error, ApiRateLimited)
    assert result.uncalled == ids(accounts[3:])
    assert len(refresh_grants(asana)) == 3  # no call after the 429
    for account in accounts[:2]:
        assert_refreshed(account)
    assert stored(accounts[2]).consecutive_failures == 1
    for account in accounts[3:]:
        assert_untouched(account)


def test_calls_stop_at_the_time_budget_and_the_rest_is_left_as_it_was(asana, asana_team,
                                                                        settings):
    settings.TOKEN_REFRESH_BATCH_SECONDS = 0.5
    accounts = expiring_accounts(asana, asana_team.team, 4)
    asana.fault(path_prefix="/-/oauth_token", latency_ms=300)

    result = services.accounts_refresh_batch(account_ids=ids(accounts))

    assert result.outcomes == dict.fromkeys(ids(accounts[:2]), "refreshed")
    assert result.uncalled == ids(accounts[2:])
    for account in accounts[2:]:
        assert_untouched(account)
    asana.clear_faults()
    assert tasks.refresh_accounts.delay(ids(accounts)).get() == {"refreshed": 2, "fresh": 2}
    assert len(refresh_grants(asana)) == 4
    for account in accounts:
        assert_refreshed(account)


def test_a_budget_of_zero_still_calls_one_account_per_group_and_the_chunk_finishes(
    asana, asana_team, settings
):
    settings.TOKEN_REFRESH_BATCH_SECONDS = 0
    accounts = expiring_accounts(asana, asana_team.team, 3)

    result = services.accounts_refresh_batch(account_ids=ids(accounts))
    assert result.outcomes == {ids(accounts)[0]: "refreshed"}
    assert result.uncalled == ids(accounts[1:])
    assert tasks.refresh_accounts.delay(ids(accounts[1:])).get() == {"refreshed": 2}
    assert len(refresh_grants(asana)) == 3


def test_uncalled_account_keeps_an_earlier_lost_answer_on_record(asana, asana_team, settings):
    settings.TOKEN_REFRESH_BATCH_SECONDS = 0.1
    accounts = expiring_accounts(asana, asana_team.team, 2)
    lost_at = timezone.now() - timedelta(minutes=3)
    ConnectedAccount.objects.filter(pk=accounts[1].pk).update(refresh_attempt_started_at=lost_at)
    asana.fault(path_prefix="/-/oauth_token", latency_ms=200, times=1)

    result = services.accounts_refresh_batch(account_ids=ids(accounts))

    assert result.uncalled == ids(accounts[1:])
    assert stored(accounts[1]).refresh_attempt_started_at == lost_at


def test_deleted_account_in_the_group_is_gone(asana, asana_team):
    accounts = expiring_accounts(asana, asana_team.team, 3)
    ConnectedAccount.objects.filter(pk=accounts[1].pk).delete()

    result = services.accounts_refresh_batch(account_ids=ids(accounts))

    assert result.outcomes == {str(accounts[0].pk): "refreshed", str(accounts[1].pk): "gone",
                               str(accounts[2].pk): "refreshed"}
    assert len(refresh_grants(asana)) == 2


def test_chunk_is_refreshed_in_groups_of_the_batch_size(asana, asana_team, settings,
                                                         django_assert_max_num_queries):
    settings.TOKEN_REFRESH_BATCH_SIZE = 2
    accounts = expiring_accounts(asana, asana_team.team, 5)
    ConnectedAccount.objects.filter(pk=accounts[4].pk).update(
        expires_at=timezone.now() + timedelta(hours=1))

    with django_assert_max_num_queries(3 * 8) as queries:  # three groups
        assert tasks.refresh_accounts.delay(ids(accounts)).get() == {"refreshed": 4, "fresh": 1}

    locks = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(locks) == 5  # two per group, one for the last group (nothing due in it)
    assert len(refresh_grants(asana)) == 4


def test_unexpected_error_of_one_account_keeps_the_tokens_the_group_already_obtained(
    asana, asana_team
):
    accounts = expiring_accounts(asana, asana_team.team, 3)
    with connection.cursor() as cursor:  # another row's ciphertext: it cannot be decrypted here
        cursor.execute("UPDATE tokens_connectedaccount SET refresh_token = "
                       "(SELECT refresh_token FROM tokens_connectedaccount WHERE id = %s) "
                       "WHERE id = %s", [accounts[0].pk.hex, accounts[1].pk.hex])

    with pytest.raises(DecryptionError):
        services.accounts_refresh_batch(account_ids=ids(accounts))

    assert_refreshed(accounts[0])
    assert stored(accounts[1]).refresh_attempt_started_at is not None
    assert_untouched(accounts[2])
    assert len(refresh_grants(asana)) == 1


def test_group_drops_this_processs_kept_copies_of_what_it_refreshed_and_nothing_else(
    asana, asana_team
):
    accounts = expiring_accounts(asana, asana_team.team, 3)
    ConnectedAccount.objects.filter(pk=accounts[2].pk).update(
        expires_at=timezone.now() + timedelta(hours=1))
    keys = [account_key(user_id=account.user_id, team_id=account.team_id,
                        integration=account.integration) for account in accounts]
    for key, account in zip(keys, accounts, strict=True):
        account_cache.accounts.get(key, load=lambda account=account: account)
    generation = cache.get(account_cache.GENERATION_KEY)

    services.accounts_refresh_batch(account_ids=ids(accounts))

    # the attempts it records decide nothing for a caller: no process drops its kept accounts
    assert cache.get(account_cache.GENERATION_KEY) == generation
    assert [account_cache.accounts.get(key, load=lambda: "read again") for key in keys] == [
        "read again", "read again", accounts[2]]
