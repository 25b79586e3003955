"""Importing tasks as cards: from list pages (never one call per task), from a link, the picker,
and the board's card list, whose query count does not grow with the number of cards."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cards import errors
from cards.models import Board, CardWidget, WebhookSubscription
from integrations.sandbox.asana.seed import (
    ACME_WORKSPACE,
    BACKLOG_PROJECT,
    BACKLOG_TASK_FIRST,
    WEBSITE_PROJECT,
    WEBSITE_TASK_FIRST,
)
from tests.cards.conftest import api_client, make_card

pytestmark = pytest.mark.django_db

TASK_PATH = re.compile(r"^/api/1\.0/tasks/\d+$")


def _backlog_ids(count: int) -> list[str]:
    return [str(int(BACKLOG_TASK_FIRST) + index) for index in range(count)]


def test_importing_250_tasks_reads_at_most_3_list_pages_and_no_single_task(
    sandbox, board, member, member_account
):
    wanted = _backlog_ids(250)
    response = api_client(member).post(
        f"/api/v1/boards/{board.pk}/cards/",
        {"integration": "asana", "external_ids": wanted, "container": BACKLOG_PROJECT},
        format="json",
    )
    assert response.status_code == 201, response.content[:300]
    body = response.json()
    assert [card["external_id"] for card in body["cards"]] == wanted
    assert body["missing"] == []
    list_calls = sandbox.requests(f"/api/1.0/projects/{BACKLOG_PROJECT}/tasks")
    assert 1 <= len(list_calls) <= 3
    assert [entry for entry in sandbox.requests("/api/1.0/tasks") if TASK_PATH.match(entry["path"])] == []
    card = CardWidget.objects.get(board=board, external_id=BACKLOG_TASK_FIRST)
    assert card.title == "Backlog item 001"
    assert card.description == "Customer request #1"
    assert card.priority == "Low"
    assert card.status.startswith("open")
    assert CardWidget.objects.filter(board=board).count() == 250


def test_importing_again_refreshes_the_cards_instead_of_duplicating_them(
    sandbox, board, member, member_account
):
    make_card(board, BACKLOG_TASK_FIRST, title="Old title")
    response = api_client(member).post(
        f"/api/v1/boards/{board.pk}/cards/",
        {"integration": "asana", "external_ids": _backlog_ids(2), "container": BACKLOG_PROJECT},
        format="json",
    )
    assert response.status_code == 201
    assert CardWidget.objects.filter(board=board).count() == 2
    assert CardWidget.objects.get(board=board, external_id=BACKLOG_TASK_FIRST).title == \
        "Backlog item 001"


def test_a_re_import_answers_each_existing_card_with_its_first_import_in_one_statement(
    sandbox, board, admin, member, member_account
):
    from cards import services

    first = make_card(board, BACKLOG_TASK_FIRST, title="Old title", created_by=admin)
    CardWidget.objects.filter(pk=first.pk).update(created_at=first.created_at - timedelta(days=3))
    first.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        result = services.cards_import(board=board, integration="asana",
                                       external_ids=_backlog_ids(2), container_id=BACKLOG_PROJECT,
                                       acting_user=member)
    again, new = result.cards
    assert (again.pk, again.created_at, again.created_by_id) == (
        first.pk, first.created_at, admin.pk)
    assert new.created_by_id == member.pk and new.created_at > first.created_at
    card_statements = [query["sql"] for query in queries.captured_queries
                       if '"cards_cardwidget"' in query["sql"]]
    assert len(card_statements) == 1  # the upsert, which answers them: no read-back


def test_the_answer_of_a_re_import_shows_the_cards_as_stored(sandbox, board, member,
                                                             member_account):
    # The upsert returns only the ids: an existing card's answer keeps its first import's
    # created_at, exactly as the cards list shows it afterwards.
    first = make_card(board, BACKLOG_TASK_FIRST, title="Old title")
    CardWidget.objects.filter(pk=first.pk).update(created_at=first.created_at - timedelta(days=3))
    response = api_client(member).post(
        f"/api/v1/boards/{board.pk}/cards/",
        {"integration": "asana", "external_ids": _backlog_ids(2), "container": BACKLOG_PROJECT},
        format="json",
    )
    assert response.status_code == 201, response.content[:300]
    listed = api_client(member).get(f"/api/v1/boards/{board.pk}/cards/").json()
    stored = {card["id"]: card for card in listed["cards"]}
    answered = response.json()["cards"]
    assert [card["external_id"] for card in answered] == _backlog_ids(2)
    assert answered[0]["id"] == first.pk
    for card in answered:
        assert card == stored[card["id"]]


def test_ids_missing_from_the_project_are_reported(sandbox, board, member, member_account):
    response = api_client(member).post(
        f"/api/v1/boards/{board.pk}/cards/",
        {"integration": "asana", "external_ids": [WEBSITE_TASK_FIRST, "999"],
         "container": WEBSITE_PROJECT},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["missing"] == ["999"]


def test_a_few_tasks_without_a_project_are_fetched_one_by_one(
    sandbox, board, member, member_account
):
    response = api_client(member).post(
        f"/api/v1/boards/{board.pk}/cards/",
        {"integration": "asana", "external_ids": [WEBSITE_TASK_FIRST]}, format="json",
    )
    assert response.status_code == 201
    assert response.json()["cards"][0]["title"] == "Draft homepage copy"


def test_many_tasks_without_a_project_are_refused(sandbox, board, member, member_account):
    response = api_client(member).post(
        f"/api/v1/boards/{board.pk}/cards/",
        {"integration": "asana", "external_ids": _backlog_ids(30)}, format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == errors.CONTAINER_NEEDED.format(limit=20)
    assert sandbox.requests("/api/1.0/") == []


def test_importing_a_task_link_makes_a_card(sandbox, board, member, member_account):
    link = f"https://app.asana.com/0/{WEBSITE_PROJECT}/{WEBSITE_TASK_FIRST}"
    response = api_client(member).post(f"/api/v1/boards/{board.pk}/cards/", {"url": link},
                                       format="json")
    assert response.status_code == 201
    (card,) = response.json()["cards"]
    assert card["title"] == "Draft homepage copy"
    assert card["url"].endswith(f"/{WEBSITE_TASK_FIRST}")
    assert card["assignee_email"] == "ada@acme.example"


def test_creating_a_card_creates_the_task_in_the_chosen_project(
    sandbox, board, member, member_account
):
    response = api_client(member).post(
        f"/api/v1/boards/{board.pk}/cards/",
        {"integration": "asana",
         "create": {"container": WEBSITE_PROJECT, "title": "Write the FAQ",
                    "description": "Ten questions"}},
        format="json",
    )
    assert response.status_code == 201, response.content[:300]
    (card,) = response.json()["cards"]
    task = sandbox.control("task", gid=card["external_id"])["data"]
    assert task["name"] == "Write the FAQ"
    assert task["notes"] == "Ten questions"
    assert WEBSITE_PROJECT in [project["gid"] for project in task["projects"]]
    assert card["title"] == "Write the FAQ"


def test_an_import_request_that_names_no_mode_is_invalid(board, member):
    response = api_client(member).post(f"/api/v1/boards/{board.pk}/cards/",
                                       {"integration": "asana"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_importing_without_a_connection_says_where_to_connect(sandbox, board, member, installed):
    response = api_client(member).post(
        f"/api/v1/boards/{board.pk}/cards/",
        {"integration": "asana", "external_ids": [WEBSITE_TASK_FIRST]}, format="json",
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "needs_connection"
    assert error["detail"]["connect_url"] == "/integrations/asana/connect"


def test_picker_browses_workspaces_projects_and_pages_of_tasks(
    sandbox, team, member, member_account
):
    client = api_client(member)
    base = f"/api/v1/integrations/asana/picker/?team={team.pk}"
    workspaces = client.get(base).json()
    assert workspaces["level"] == "workspaces"
    assert ACME_WORKSPACE in [item["id"] for item in workspaces["items"]]
    projects = client.get(f"{base}&workspace={ACME_WORKSPACE}").json()
    assert projects["level"] == "projects"
    assert BACKLOG_PROJECT in [item["id"] for item in projects["items"]]
    first = client.get(f"{base}&workspace={ACME_WORKSPACE}&project={BACKLOG_PROJECT}").json()
    assert first["level"] == "tasks"
    assert first["items"][0] == {
        "id": BACKLOG_TASK_FIRST, "name": "Backlog item 001",
        "url": first["items"][0]["url"], "status": first["items"][0]["status"],
        "assignee_name": "",
    }
    assert first["next_cursor"]
    second = client.get(
        f"{base}&workspace={ACME_WORKSPACE}&project={BACKLOG_PROJECT}&cursor={first['next_cursor']}"
    ).json()
    assert second["items"][0]["id"] != first["items"][0]["id"]
    found = client.get(f"{base}&workspace={ACME_WORKSPACE}&project={WEBSITE_PROJECT}&q=homepage")
    assert [item["name"] for item in found.json()["items"]] == ["Draft homepage copy"]


def _queries_to_list(client, board, count: int) -> int:
    CardWidget.objects.bulk_create(
        CardWidget(board=board, provider="asana", external_id=str(index),
                   url=f"https://app.asana.com/0/0/{index}", title=f"Card {index}")
        for index in range(count)
    )
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/boards/{board.pk}/cards/?page_size={count}")
    assert response.status_code == 200
    assert len(response.json()["cards"]) == count
    return len(queries)


def test_listing_a_boards_cards_costs_the_same_queries_for_5_and_500_cards(team, member):
    client = api_client(member)
    small = Board.objects.create(team=team, name="Small")
    large = Board.objects.create(team=team, name="Large")
    client.get(f"/api/v1/boards/{small.pk}/cards/")  # the session is read once, then cached
    assert _queries_to_list(client, small, 5) == _queries_to_list(client, large, 500)


def test_a_webhook_asana_refuses_does_not_undo_the_import(
    sandbox, settings, board, member, member_account, django_capture_on_commit_callbacks
):
    settings.CONDUIT_PUBLIC_URL = "https://conduit.example"  # Asana cannot reach it here
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(member).post(
            f"/api/v1/boards/{board.pk}/cards/",
            {"integration": "asana", "external_ids": [WEBSITE_TASK_FIRST],
             "container": WEBSITE_PROJECT},
            format="json",
        )
    assert response.status_code == 201
    subscription = WebhookSubscription.objects.get(team=board.team, container_id=WEBSITE_PROJECT)
    assert subscription.status == WebhookSubscription.Status.FAILED
    assert subscription.last_error
    assert subscription.secret is None
    assert [entry["method"] for entry in sandbox.requests("/api/1.0/webhooks")] == ["POST"]
