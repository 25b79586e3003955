"""Bearer tokens kept a few seconds per process (config.bearer_cache): a burst of API calls looks
the token up once; a revocation or a scope change is seen on the very next call, another
process's change once this process reads the generation again (at most a second later); a
change whose notice was lost is seen after BEARER_TOKEN_CACHE_SECONDS; with Redis unreachable
every call reads the database."""

from __future__ import annotations

import socket
import time

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import AccessToken

from config.bearer_cache import GENERATION_KEY
from tests.cards.conftest import bearer_client, loopback_address

pytestmark = pytest.mark.django_db


def _token_lookups(queries: CaptureQueriesContext) -> int:
    return sum('FROM "oauth2_provider_accesstoken"' in query["sql"]
               for query in queries.captured_queries)


def _list(client, board) -> int:
    return client.get(f"/api/v1/boards/{board.pk}/cards/").status_code


def _delete_as_another_process_would(token: AccessToken) -> None:
    """The row goes without this process's signals running, as when another process revokes."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM oauth2_provider_accesstoken WHERE id = %s", [token.pk])


def test_a_burst_of_calls_with_one_token_looks_it_up_once(board, member):
    client = bearer_client(member, scope="read")
    with CaptureQueriesContext(connection) as queries:
        assert [_list(client, board) for _ in range(5)] == [200] * 5
    assert _token_lookups(queries) == 1


def test_a_revoked_token_is_refused_on_the_next_call(board, member):
    client = bearer_client(member, scope="read")
    assert _list(client, board) == 200
    AccessToken.objects.get(user=member).revoke()
    assert _list(client, board) == 401


def test_a_token_revoked_at_the_revocation_endpoint_is_refused_on_the_next_call(board, member):
    client = bearer_client(member, scope="read")
    assert _list(client, board) == 200
    token = AccessToken.objects.select_related("application").get(user=member)
    revocation = client.post("/o/revoke_token/", {
        "token": token.token, "client_id": token.application.client_id})
    assert revocation.status_code == 200, revocation.content[:300]
    assert _list(client, board) == 401


def test_a_narrowed_scope_is_seen_on_the_next_call(board, member):
    client = bearer_client(member, scope="read")
    assert _list(client, board) == 200
    token = AccessToken.objects.get(user=member)
    token.scope = "write"
    token.save()
    assert _list(client, board) == 403


def test_another_processs_revocation_is_seen_within_the_generation_check(board, member,
                                                                        settings):
    settings.BEARER_TOKEN_GENERATION_CHECK_SECONDS = 0.5
    client = bearer_client(member, scope="read")
    assert _list(client, board) == 200
    _delete_as_another_process_would(AccessToken.objects.get(user=member))
    # What that process's receiver does: move the generation every process compares.
    other = redis.Redis.from_url(django_settings.CACHES["default"]["LOCATION"])
    key = next(iter(other.scan_iter(f"*{GENERATION_KEY}")))
    other.incr(key)
    time.sleep(0.6)
    assert _list(client, board) == 401


def test_a_change_whose_notice_was_lost_is_seen_after_the_cache_seconds(board, member, settings):
    settings.BEARER_TOKEN_CACHE_SECONDS = 1
    client = bearer_client(member, scope="read")
    assert _list(client, board) == 200
    _delete_as_another_process_would(AccessToken.objects.get(user=member))
    assert _list(client, board) == 200  # the bound the module documents, not a wish
    time.sleep(1.1)
    assert _list(client, board) == 401


def test_with_the_cache_off_every_call_reads_the_token(board, member, settings):
    settings.BEARER_TOKEN_CACHE_SECONDS = 0
    client = bearer_client(member, scope="read")
    with CaptureQueriesContext(connection) as queries:
        assert [_list(client, board) for _ in range(3)] == [200] * 3
    assert _token_lookups(queries) == 3


def test_with_redis_unreachable_every_call_reads_the_token(board, member, settings):
    settings.BEARER_TOKEN_GENERATION_CHECK_SECONDS = 0  # the first check after the outage
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    client = bearer_client(member, scope="read")
    assert _list(client, board) == 200  # kept while Redis was there
    settings.CACHES = {"default": {"BACKEND": "config.cache.DegradingRedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{closed}/0",
                                   "OPTIONS": {"socket_connect_timeout": 1}}}
    with CaptureQueriesContext(connection) as queries:
        assert [_list(client, board) for _ in range(3)] == [200] * 3
    assert _token_lookups(queries) == 3
    _delete_as_another_process_would(AccessToken.objects.get(user=member))
    assert _list(client, board) == 401


def test_each_call_gets_its_own_user_object(board, member):
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from cards.api.base import BearerTokenAuthentication

    bearer_client(member, scope="read")
    token = AccessToken.objects.get(user=member).token
    factory = APIRequestFactory(REMOTE_ADDR=loopback_address())
    users = []
    for _ in range(2):
        request = Request(factory.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}"))
        users.append(BearerTokenAuthentication().authenticate(request)[0])
    assert users[0] == users[1] == member
    assert users[0] is not users[1]
