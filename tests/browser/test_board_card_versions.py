"""The board's card dialog saves with If-Match: an edit made elsewhere since the dialog opened is
not overwritten (the API answers 412 and the dialog asks to reload the card); after Reload the
dialog shows the card as it is now (stored fields and live details) and saves on top of it. Real Chromium, live server, Asana
simulator."""

from __future__ import annotations

import pytest

from tests.browser.test_journeys import (  # noqa: F401 - fixtures used by name
    SIGNUP_TASK,
    admin,
    asana,
    asana_installed,
    board,
    connect_asana,
    member,
    open_card,
    stored_card,
    team,
)
from tests.cards.conftest import api_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# static/conduit/board.dialog.js CARD_CHANGED_MESSAGE
CARD_CHANGED_MESSAGE = ("This card changed since you opened it, so nothing was saved. Reload the "
                        "card to see its current values, then make your change again.")


def test_a_card_changed_elsewhere_is_not_overwritten_and_reload_shows_it(
        watched, live_server, asana, member, board, asana_installed):  # noqa: F811
    from playwright.sync_api import expect

    card = stored_card(board, SIGNUP_TASK, "Fix broken signup link")
    maria = watched("member").log_in_as(live_server, member)
    page = maria.page
    page.goto(f"{live_server.url}/boards/{board.pk}")
    connect_asana(page)
    open_card(page, "Fix broken signup link")
    modified = page.get_by_test_id("details-modified")
    expect(modified).not_to_have_text("")
    modified_when_opened = modified.inner_text()  # the simulator's seed: long ago

    # Meanwhile, in another tab, Maria renames the task (written through to Asana).
    other_tab = api_client(member).patch(f"/api/v1/cards/{card.pk}",
                                         {"title": "Fix the signup link on mobile"},
                                         format="json")
    assert other_tab.status_code == 200, other_tab.content[:300]

    page.get_by_test_id("card-edit-description").fill("Broken since the CMS migration.")
    page.get_by_test_id("card-save").click()
    expect(page.get_by_test_id("card-error-message")).to_have_text(CARD_CHANGED_MESSAGE)
    expect(page.get_by_test_id("card-reload")).to_be_visible()
    expect(page.get_by_test_id("card-retry")).to_be_hidden()
    expect(page.get_by_test_id("card-edit-description")).to_have_value(
        "Broken since the CMS migration.")
    maria.shot("1-card-changed")
    task = asana.control("task", gid=SIGNUP_TASK)["data"]
    assert task["name"] == "Fix the signup link on mobile"
    assert task["notes"] != "Broken since the CMS migration."
    maria.accept_api_refusals([(412, f"/api/v1/cards/{card.pk}")])

    page.get_by_test_id("card-reload").click()
    expect(page.get_by_test_id("card-error")).to_be_hidden()
    expect(page.get_by_test_id("card-edit-title")).to_have_value("Fix the signup link on mobile")
    expect(page.locator(f"#card-{card.pk}").get_by_test_id("card-title")).to_have_text(
        "Fix the signup link on mobile")
    # The live details are fetched again too: Asana's "Modified" is the other tab's edit.
    expect(page.get_by_test_id("details-modified")).not_to_have_text(modified_when_opened)

    page.get_by_test_id("card-edit-description").fill("Broken since the CMS migration.")
    page.get_by_test_id("card-save").click()
    expect(page.get_by_test_id("card-dialog")).to_be_hidden()
    maria.shot("2-saved-after-reload")
    task = asana.control("task", gid=SIGNUP_TASK)["data"]
    assert (task["name"], task["notes"]) == ("Fix the signup link on mobile",
                                             "Broken since the CMS migration.")
