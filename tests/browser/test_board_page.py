"""Smoke test of the board pages in a real Chromium: a member opens a board with stored cards,
opens a card's edit dialog and sees the stored fields; without an Asana connection the live
details ask to connect, and a refused save keeps what was typed. No provider is involved."""

from __future__ import annotations

import re

import pytest

from cards import errors
from cards.models import Board, CardWidget
from tests.browser.conftest import board_ready
from tests.factories import make_member, make_team

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logged_in_page(watched, live_server, user, person: str = "member"):
    return watched(person).log_in_as(live_server, user)


@pytest.fixture
def stored_board(db):
    team = make_team("Launch team")
    member = make_member(team, "maria")
    board = Board.objects.create(team=team, name="Q3 launch", created_by=member)
    cards = [
        CardWidget.objects.create(
            board=board, provider="asana", external_id="1100000000100001",
            url="https://app.asana.com/0/0/1100000000100001", title="Write the launch post",
            description="Draft, review with legal, publish.", status="open · Doing",
            priority="High", assignee_name="Ada Lovelace", assignee_email="ada@example.com",
        ),
        CardWidget.objects.create(
            board=board, provider="asana", external_id="1100000000100002",
            url="https://app.asana.com/0/0/1100000000100002", title="Book the venue",
            status="done", sync_error="Asana did not answer in time; try again in a moment.",
        ),
    ]
    return member, board, cards


def test_member_opens_a_board_and_a_card_with_its_stored_fields(watched, live_server,
                                                                  stored_board):
    from playwright.sync_api import expect

    member, board, cards = stored_board
    watched_page = logged_in_page(watched, live_server, member)
    page = watched_page.page

    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("board-link")).to_have_text("Q3 launch")
    watched_page.shot("boards")

    page.get_by_test_id("board-link").click()
    expect(page.get_by_test_id("board-name")).to_have_text("Q3 launch")
    expect(page.get_by_test_id("card-title")).to_have_text(
        ["Write the launch post", "Book the venue"]
    )
    expect(page.get_by_test_id("card-sync-error")).to_have_count(1)
    watched_page.shot("board")

    board_ready(page)
    page.get_by_test_id("card-title").first.click()
    dialog = page.get_by_test_id("card-dialog")
    expect(dialog).to_be_visible()
    expect(page.get_by_test_id("card-edit-title")).to_have_value("Write the launch post")
    expect(page.get_by_test_id("card-edit-description")).to_have_value(
        "Draft, review with legal, publish."
    )
    expect(page.get_by_test_id("card-stored-status")).to_have_text("open · Doing")
    expect(page.get_by_test_id("card-stored-priority")).to_have_text("High")
    expect(page.get_by_test_id("card-stored-assignee")).to_have_text(
        "Ada Lovelace <ada@example.com>"
    )
    # No Asana connection: the live details ask to connect, coming back to this board.
    prompt = dialog.get_by_test_id("connect-prompt")
    expect(prompt).to_contain_text(errors.NEEDS_CONNECTION.format(integration="Asana"))
    expect(prompt.get_by_test_id("connect-link")).to_have_attribute(
        "href", re.compile(rf"^/integrations/asana/connect\?team={board.team.pk}&next=%2Fboards%2F{board.pk}$")
    )
    watched_page.shot("card-dialog")
    watched_page.accept_api_refusals([(409, f"/api/v1/cards/{cards[0].pk}/details")])


def test_card_dialog_without_a_connection_offers_connect_instead_of_save(
        watched, live_server, stored_board):
    """Not connected to the card's tool (here not even installed): no Save that can only fail,
    a read-only form, a warning saying why, and Connect / Ask for it, back to this board."""
    from playwright.sync_api import expect

    member, board, cards = stored_board
    watched_page = logged_in_page(watched, live_server, member)
    page = watched_page.page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/boards/{board.pk}")
    board_ready(page)
    page.get_by_test_id("card-title").first.click()
    expect(page.get_by_test_id("card-edit-title")).to_have_value("Write the launch post")
    expect(page.get_by_test_id("card-save")).to_be_hidden()
    connect = page.get_by_test_id("card-connect")
    expect(connect).to_be_visible()
    expect(connect).to_have_attribute(
        "href", f"/integrations/asana/connect?team={board.team.pk}&next=%2Fboards%2F{board.pk}")
    expect(page.get_by_test_id("card-edit-title")).to_be_disabled()
    warning = page.get_by_test_id("card-not-connected")
    expect(warning).to_have_class(re.compile(r"\bbanner-warn\b"))
    expect(warning).to_contain_text("the card shows what is stored")
    watched_page.shot("card-dialog-not-connected")
    cards[0].refresh_from_db()
    assert cards[0].title == "Write the launch post"
    watched_page.accept_api_refusals([(409, f"/api/v1/cards/{cards[0].pk}/details")])


def test_malformed_link_in_the_paste_box_is_explained_and_kept(watched, live_server,
                                                               stored_board):
    from playwright.sync_api import expect

    member, board, _ = stored_board
    watched_page = logged_in_page(watched, live_server, member)
    page = watched_page.page
    page.goto(f"{live_server.url}/boards/{board.pk}")
    page.get_by_test_id("paste-box").fill("app.asana.com/0/0/123")
    page.get_by_test_id("paste-unfurl").click()
    expect(page.get_by_test_id("paste-error")).to_have_text(errors.MALFORMED_LINK)
    expect(page.get_by_test_id("paste-box")).to_have_value("app.asana.com/0/0/123")
    watched_page.shot("paste-error")
    watched_page.accept_api_refusals([(400, f"/api/v1/boards/{board.pk}/unfurls/")])
