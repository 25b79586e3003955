"""The browser writes dates exactly as the server does (when.js against the |when filter), in
the viewer's zone: the browser's, remembered in a cookie for the server's next pages."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from cards.models import Board, CardWidget
from cards.templatetags.conduit_time import when_text
from tests.browser.conftest import WatchedPage, board_ready
from tests.factories import make_member, make_team

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SYNCED = datetime.datetime(2026, 7, 14, 21, 5, tzinfo=datetime.UTC)


def test_card_dialog_and_pages_show_one_format_in_the_browser_zone(browser, live_server):
    from playwright.sync_api import expect

    team = make_team("Launch team")
    member = make_member(team, "maria")
    board = Board.objects.create(team=team, name="Q3 launch", created_by=member)
    CardWidget.objects.create(board=board, provider="asana", external_id="1",
                              url="https://app.asana.com/0/0/1", title="Dated card",
                              synced_at=SYNCED)
    context = browser.new_context(timezone_id="Asia/Kolkata",
                                  viewport={"width": 1280, "height": 900})
    try:
        watched = WatchedPage(context.new_page(), "dates-member").log_in_as(live_server, member)
        page = watched.page
        page.goto(f"{live_server.url}/boards/{board.pk}")
        board_ready(page)
        page.get_by_test_id("card-title").click()
        with timezone.override(ZoneInfo("Asia/Kolkata")):
            expected = when_text(SYNCED)
        assert expected == "15 Jul 2026, 02:35 UTC+0530"
        expect(page.get_by_test_id("card-stored-synced")).to_have_text(expected)
        watched.shot("card-dialog-date")
        # The browser's zone is now remembered: the server renders the settings page in it.
        page.goto(f"{live_server.url}/settings/")
        expect(page.get_by_test_id("now")).to_contain_text("UTC+0530")
        watched.shot("settings")
        watched.accept_api_refusals([(409, f"/api/v1/cards/{board.cards.get().pk}/details")])
        assert watched.problems == []
    finally:
        context.close()
