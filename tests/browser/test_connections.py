"""End-user connections in Chromium: the pre-consent page (Continue / Cancel), and Disconnect
versus Uninstall for me on the Integrations page, each confirmed on its own page."""

from __future__ import annotations

import pytest

from approvals.models import Installation
from cards.models import Board
from tests.factories import make_admin, make_member, make_team
from tests.tokens.lifecycle_fixtures import assert_revoked, make_connected_account
from tokens import confirm_views
from tokens.models import ConnectedAccount
from tokens.views import DISCONNECTED, UNINSTALLED_FOR_ME

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture
def asana(settings, live_server, asana_sandbox):
    settings.ASANA_API_URL = asana_sandbox.url("/api/1.0")
    settings.ASANA_OAUTH_URL = asana_sandbox.url("/-/")
    settings.EGRESS_ALLOW_LOOPBACK = True
    asana_sandbox.clear_requests()
    yield asana_sandbox


@pytest.fixture
def team(db):
    team = make_team("Launch team")
    Installation.objects.create(team=team, integration="asana",
                                installed_by=make_admin(team, "alex-admin"))
    return team


@pytest.fixture
def member(team):
    return make_member(team, "maria")


def test_pre_consent_page_explains_and_cancel_goes_back_without_asking_asana(
        watched, live_server, asana, team, member):
    from playwright.sync_api import expect

    board = Board.objects.create(team=team, name="Q3 launch", created_by=member)
    maria = watched("member").log_in_as(live_server, member)
    page = maria.page
    page.set_viewport_size(VIEWPORT)
    board_url = f"{live_server.url}/boards/{board.pk}"
    page.goto(board_url)
    page.get_by_test_id("connect-asana").click()
    expect(page.get_by_test_id("pre-consent")).to_be_visible()
    for stored in ("Title", "Description", "Assignee", "Status", "Priority"):
        expect(page.get_by_test_id("consent-stored")).to_contain_text(stored)
    expect(page.get_by_test_id("consent-scopes")).to_contain_text("attachments:read")
    maria.shot("pre-consent")
    page.get_by_test_id("consent-cancel").click()
    expect(page).to_have_url(board_url)
    assert asana.requests("/-/oauth_authorize") == []  # Cancel never reached Asana
    page.get_by_test_id("connect-asana").click()
    page.get_by_test_id("consent-continue").click()
    expect(page.locator("#allow")).to_be_visible()  # Continue: Asana's own consent page


def test_disconnect_and_uninstall_for_me_each_confirm_and_the_page_shows_the_difference(
        watched, live_server, asana, team, member):
    from playwright.sync_api import expect

    make_connected_account(asana, user=member, team=team)
    maria = watched("member").log_in_as(live_server, member)
    page = maria.page
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{live_server.url}/integrations/")
    item = page.locator(f"#integration-{team.pk}-asana")
    expect(item).to_have_attribute("data-status", "connected")
    expect(page.get_by_test_id("actions-explained")).to_contain_text("Deletes this account's tokens")
    maria.shot("1-connected")

    # Disconnect: a confirmation page first; Cancel keeps the account.
    item.get_by_test_id("disconnect").click()
    words = {"integration": "Asana", "team": team.name}
    expect(page.get_by_test_id("confirm-consequences")).to_contain_text(
        confirm_views.DISCONNECT_CONSEQUENCES[1].format(**words))
    maria.shot("2-confirm-disconnect")
    page.get_by_test_id("confirm-cancel").click()
    expect(item).to_have_attribute("data-status", "connected")
    item.get_by_test_id("disconnect").click()
    page.get_by_test_id("confirm-action").click()
    expect(page.locator(".messages")).to_contain_text(DISCONNECTED.format(integration="Asana"))
    expect(item).to_have_attribute("data-status", "not-connected")
    expect(item.get_by_role("link", name="Connect")).to_be_visible()
    # The account is kept as revoked (for the console), holding no credential any more.
    (account,) = ConnectedAccount.objects.filter(user=member)
    assert_revoked(account, reason="disconnect")
    maria.shot("3-disconnected")

    # Uninstall for me, connected again first: confirmed, then visibly "removed for you".
    make_connected_account(asana, user=member, team=team)
    page.reload()
    item.get_by_test_id("uninstall-for-me").click()
    expect(page.get_by_test_id("confirm-consequences")).to_contain_text(
        confirm_views.UNINSTALL_CONSEQUENCES[2].format(**words))
    maria.shot("4-confirm-uninstall")
    page.get_by_test_id("confirm-action").click()
    expect(page.locator(".messages")).to_contain_text(
        UNINSTALLED_FOR_ME.format(integration="Asana", team=team.name))
    expect(item).to_have_attribute("data-status", "removed-for-me")
    expect(item.get_by_test_id("removed-for-me")).to_contain_text(
        "You removed Asana for yourself on")
    expect(item.get_by_role("link", name="Use Asana again")).to_be_visible()
    maria.shot("5-removed-for-me")
    assert Installation.objects.filter(team=team, integration="asana").exists()
