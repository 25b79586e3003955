"""The physical limit per action: provider calls seen by the Asana simulator's request log, SQL
queries counted by pytest-django. Each budget counts what the action must do, named below."""

from __future__ import annotations

import pytest

from integrations.sandbox.asana.seed import (
    BACKLOG_PROJECT,
    BACKLOG_TASK_COUNT,
    BACKLOG_TASK_FIRST,
    WEBSITE_PROJECT,
    WEBSITE_TASK_FIRST,
)
from tests.cards.conftest import api_client, make_card

pytestmark = pytest.mark.django_db

TASK_LINK = f"https://app.asana.com/0/{WEBSITE_PROJECT}/{WEBSITE_TASK_FIRST}"


def _api_calls(sandbox) -> list[str]:
    return [f"{entry['method']} {entry['path']}" for entry in sandbox.requests("/api/1.0/")]


def _last_used_updates(queries) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries
        if q["sql"].startswith("UPDATE") and "last_used_at" in q["sql"]
    ]


def test_unfurl_is_one_provider_read_and_one_insert(
    sandbox, board, member, member_account, django_assert_max_num_queries
):
    client = api_client(member)
    # user, board with team, account with its team's installation (one query), last_used_at,
    # insert (5), plus 4 on a session's first request: the viewer's time zone read and mirrored
    # into the session (SELECT personal settings, SAVEPOINT, UPDATE session, RELEASE), plus the
    # session's own read:
    # sessions live in the database alone, so people can log in while Redis is down (issue 13)
    with django_assert_max_num_queries(10) as queries:
        response = client.post(f"/api/v1/boards/{board.pk}/unfurls/", {"url": TASK_LINK},
                               format="json")

    assert response.status_code == 201, response.content[:300]
    assert _api_calls(sandbox) == [f"GET /api/1.0/tasks/{WEBSITE_TASK_FIRST}"]
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert len(_last_used_updates(queries)) <= 1


def test_unfurl_asks_the_provider_for_the_title_alone(sandbox, board, member, member_account):
    # A preview stores the title: asking for every stored field makes the tool build (and the
    # call carry) an answer the unfurl throws away.
    response = api_client(member).post(f"/api/v1/boards/{board.pk}/unfurls/", {"url": TASK_LINK},
                                       format="json")

    assert response.status_code == 201, response.content[:300]
    (read,) = sandbox.requests("/api/1.0/")
    assert read["query"]["opt_fields"] == "name"
    assert response.json()["title"]


def test_card_update_is_one_provider_write_and_one_card_write(
    sandbox, board, member, member_account, django_assert_max_num_queries
):
    card = make_card(board, WEBSITE_TASK_FIRST, title="Draft homepage copy")
    client = api_client(member)
    # user, the card with its board and team for a member, account, the card's advisory lock
    # (take + release), last_used_at, the card's one UPDATE (no re-read without If-Match: the
    # tool's answer replaces every stored field), and the session's first-request time zone
    # mirror and its read (as in the unfurl above)
    with django_assert_max_num_queries(12) as queries:
        response = client.patch(f"/api/v1/cards/{card.pk}", {"title": "Final copy"},
                                format="json")

    assert response.status_code == 200, response.content[:300]
    assert _api_calls(sandbox) == [f"PUT /api/1.0/tasks/{WEBSITE_TASK_FIRST}"]
    card_writes = [q["sql"] for q in queries.captured_queries
                   if q["sql"].startswith("UPDATE") and "cards_cardwidget" in q["sql"]]
    assert len(card_writes) == 1
    assert len(_last_used_updates(queries)) <= 1


def test_import_of_a_whole_project_is_one_list_call_per_page(
    sandbox, board, member, member_account, django_assert_max_num_queries
):
    wanted = [str(int(BACKLOG_TASK_FIRST) + index) for index in range(BACKLOG_TASK_COUNT)]
    client = api_client(member)
    # constant in the number of tasks: user, board, account with installation, last_used_at,
    # one bulk upsert and its re-read in a savepoint (4), and the session's first-request
    # time zone mirror and its read (as in the unfurl above)
    with django_assert_max_num_queries(13) as queries:
        response = client.post(
            f"/api/v1/boards/{board.pk}/cards/",
            {"integration": "asana", "external_ids": wanted, "container": BACKLOG_PROJECT},
            format="json",
        )

    assert response.status_code == 201, response.content[:300]
    assert response.json()["missing"] == []
    pages = -(-BACKLOG_TASK_COUNT // 100)
    list_path = f"GET /api/1.0/projects/{BACKLOG_PROJECT}/tasks"
    assert [call for call in _api_calls(sandbox) if call != "POST /api/1.0/webhooks"] == [
        list_path
    ] * pages
    assert len(_last_used_updates(queries)) <= 1


# -- in a burst: the account is kept (tokens.account_cache), what remains is the limit itself --


def test_the_next_unfurl_of_a_burst_is_the_provider_read_and_the_insert_alone(
    sandbox, board, member, member_account, django_assert_num_queries
):
    from cards import services

    services.unfurl(board=board, url=TASK_LINK, acting_user=member)
    sandbox.clear_requests()
    with django_assert_num_queries(1) as queries:
        services.unfurl(board=board, url=TASK_LINK, acting_user=member)
    assert queries.captured_queries[0]["sql"].startswith('INSERT INTO "cards_linkpreview"')
    assert _api_calls(sandbox) == [f"GET /api/1.0/tasks/{WEBSITE_TASK_FIRST}"]


@pytest.mark.django_db(transaction=True)
def test_the_next_edit_of_a_burst_is_the_lock_and_the_update_sent_with_the_release(
    sandbox, board, member, member_account, django_assert_num_queries
):
    # Outside a transaction, as a request runs: the card's UPDATE, its COMMIT and the unlock
    # are one statement (cards.card_locks.CardLock.update_and_release).
    from cards import services

    card = make_card(board, WEBSITE_TASK_FIRST, title="Draft homepage copy")
    services.card_update(card=card, acting_user=member, title="First")
    sandbox.clear_requests()
    with django_assert_num_queries(2) as queries:
        services.card_update(card=card, acting_user=member, title="Second")
    lock, store = (query["sql"] for query in queries.captured_queries)
    assert lock.startswith("SELECT pg_advisory_lock")
    assert store.startswith('BEGIN; UPDATE "cards_cardwidget"') and "pg_advisory_unlock" in store
    assert _api_calls(sandbox) == [f"PUT /api/1.0/tasks/{WEBSITE_TASK_FIRST}"]
