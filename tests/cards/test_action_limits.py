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
