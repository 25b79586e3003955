"""Issue 7's journeys in a real Chromium, against the live server and both provider simulators.

People click and type on Conduit's pages, the governance console (the Django admin) and the
simulators' own consent pages; assertions are on what they see and on the simulators' state
(the task in the Asana sandbox, the issue in the Jira sandbox). Each journey saves screenshots
of its key screens under artifacts/screenshots/. Console errors and CSP violations fail a test
(tests/browser/conftest.py); the API refusals a journey expects are accepted by name.
"""

from __future__ import annotations

import re

import pytest
import requests
from oauthlib.oauth1 import SIGNATURE_RSA
from requests_oauthlib import OAuth1

from approvals.models import Installation, InstallRequest
from cards import errors
from cards.models import Board, CardWidget, TicketLink
from integrations.admin import CHECK_STARTED, SANDBOX_REGISTERED
from integrations.models import JiraServerConnection
from integrations.sandbox.asana.seed import ADA, WEBSITE_PROJECT, WEBSITE_TASK_FIRST
from integrations.sandbox.jira.seed import SEVERITY_FIELD
from tests.browser.conftest import board_ready
from tests.factories import PASSWORD, make_admin, make_member, make_support, make_team
from tests.fixtures.asana import asana_settings_point_at
from tests.fixtures.jira import jira_seed_state
from tokens.models import ConnectedAccount

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ASANA = "asana"
DESIGN_TASK = str(int(WEBSITE_TASK_FIRST) + 1)  # "Design new navigation"
SIGNUP_TASK = str(int(WEBSITE_TASK_FIRST) + 2)  # "Fix broken signup link"
TASK_LINK = f"https://app.asana.com/0/{WEBSITE_PROJECT}/{WEBSITE_TASK_FIRST}"


# -- the world the journeys run in -----------------------------------------------------------
@pytest.fixture
def asana(settings, live_server, asana_sandbox):
    """Conduit talks to the Asana simulator (the session's subprocess, started with the
    settings' ASANA_CLIENT_ID / ASANA_CLIENT_SECRET, so its OAuth app is Conduit's); the
    simulator reaches Conduit's webhooks at the live server. Its seed is restored afterwards."""
    asana_settings_point_at(settings, asana_sandbox)
    settings.CONDUIT_PUBLIC_URL = live_server.url
    asana_sandbox.reset()
    asana_sandbox.clear_faults()
    asana_sandbox.clear_requests()
    yield asana_sandbox
    asana_sandbox.clear_faults()
    asana_sandbox.reset()


@pytest.fixture
def jira(jira_sandbox):
    """The Jira simulator in its seed state (no Application Link yet); restored afterwards."""
    with jira_seed_state(jira_sandbox) as jira_clean:
        yield jira_clean


@pytest.fixture
def team(db):
    return make_team("Launch team")


@pytest.fixture
def admin(team):
    return make_admin(team, "alex-admin")


@pytest.fixture
def member(team):
    return make_member(team, "maria")


@pytest.fixture
def board(team, member):
    return Board.objects.create(team=team, name="Q3 launch", created_by=member)


@pytest.fixture
def asana_installed(team, admin):
    return Installation.objects.create(team=team, integration=ASANA, installed_by=admin)


def stored_card(board, gid: str, title: str) -> CardWidget:
    return CardWidget.objects.create(
        board=board, provider=ASANA, external_id=gid, title=title, status="open",
        url=f"https://app.asana.com/0/{WEBSITE_PROJECT}/{gid}",
    )


# -- what people do --------------------------------------------------------------------------
def console_log_in(watched_page, live_server, user):
    """The console's own login form, with the user's password."""
    from playwright.sync_api import expect

    page = watched_page.page
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    expect(page.locator("#site-name")).to_have_text("Conduit governance console")
    return page


def console_action(page, action: str) -> None:
    """Run a changelist action on the rows ticked."""
    page.locator("select[name=action]").select_option(action)
    page.locator("button[name=index]").click()


def connect_asana(page, user_gid: str = ADA) -> None:
    """From the board: Connect on the Asana chip, then Allow on the Asana consent page."""
    from playwright.sync_api import expect

    page.get_by_test_id("integration-asana").get_by_test_id("connect-asana").click()
    page.get_by_test_id("consent-continue").click()  # Conduit's pre-consent page
    expect(page.locator("#allow")).to_be_visible()
    page.locator("#user").select_option(user_gid)
    page.locator("#allow").click()
    expect(page.get_by_test_id("integration-asana")).to_have_attribute("data-status",
                                                                       "connected")


def open_card(page, title: str) -> None:
    """Open a card's edit dialog and wait for its live details."""
    from playwright.sync_api import expect

    board_ready(page)
    page.get_by_test_id("card-title").filter(has_text=title).click()
    expect(page.get_by_test_id("card-dialog")).to_be_visible()
    expect(page.get_by_test_id("details-modified")).to_be_visible()


# -- journey 1 -------------------------------------------------------------------------------
def test_member_request_admin_approval_connect_unfurl_import_and_edit(
        watched, live_server, asana, team, admin, member, board):
    from playwright.sync_api import expect

    maria = watched("member").log_in_as(live_server, member)
    page = maria.page
    board_url = f"{live_server.url}/boards/{board.pk}"

    # Maria pastes an Asana link: Asana is not installed, so her admins get a request.
    page.goto(board_url)
    expect(page.get_by_test_id("integration-asana")).to_have_attribute("data-status",
                                                                       "not-installed")
    page.get_by_test_id("paste-box").fill(TASK_LINK)
    page.get_by_test_id("paste-unfurl").click()
    expect(page.get_by_test_id("install-requested")).to_have_text(
        errors.INSTALL_REQUESTED.format(integration="Asana", team=team.name))
    expect(page.get_by_test_id("integration-asana").get_by_test_id(
        "install-request-pending")).to_be_visible()
    maria.shot("1-install-requested")
    assert InstallRequest.objects.filter(team=team, requested_by=member,
                                         status=InstallRequest.Status.PENDING).count() == 1

    # Alex, the team admin, logs into the console, finds the pending request and approves it.
    alex = watched("admin")
    console = console_log_in(alex, live_server, admin)
    expect(console.locator("#pending-request-count")).to_have_text("1 pending request")
    alex.shot("2-console-home")
    console.locator("#pending-request-count").click()
    row = console.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("maria")
    expect(row).to_contain_text("Pending")
    alex.shot("3-pending-request")
    row.locator("input[name=_selected_action]").check()
    console_action(console, "approve_requests")
    expect(console.locator(".messagelist .success")).to_contain_text("Approved 1 request(s).")
    alex.shot("4-approved")
    assert Installation.objects.filter(team=team, integration=ASANA).exists()

    # Maria connects her Asana account through Asana's consent page and comes back to the board.
    page.reload()
    expect(page.get_by_test_id("integration-asana")).to_have_attribute("data-status",
                                                                       "not-connected")
    page.get_by_test_id("connect-asana").click()
    expect(page.get_by_test_id("consent-stored")).to_contain_text("Priority")
    page.get_by_test_id("consent-continue").click()
    expect(page.locator("#allow")).to_be_visible()
    expect(page.locator("#scopes")).to_contain_text("tasks:write")
    page.locator("#user").select_option(ADA)
    maria.shot("5-asana-consent")
    page.locator("#allow").click()
    expect(page).to_have_url(board_url)
    expect(page.locator(".messages")).to_contain_text("Asana is connected as")
    expect(page.get_by_test_id("integration-asana")).to_have_attribute("data-status",
                                                                       "connected")
    maria.shot("6-connected")

    # The same link now unfurls.
    page.get_by_test_id("paste-box").fill(TASK_LINK)
    page.get_by_test_id("paste-unfurl").click()
    expect(page.get_by_test_id("paste-preview")).to_contain_text("Draft homepage copy")
    expect(page.get_by_test_id("preview")).to_have_count(1)
    maria.shot("7-unfurled")

    # She imports three tasks of the Website project through the picker.
    page.get_by_test_id("open-import").click()
    page.get_by_test_id("picker-workspace").select_option(label="Acme Corp")
    page.get_by_test_id("picker-project").select_option(label="Website Relaunch")
    for name in ("Design new navigation", "Fix broken signup link", "Accessibility audit"):
        page.get_by_test_id("picker-tasks").get_by_text(name, exact=True).click()
    expect(page.get_by_test_id("picker-count")).to_have_text("3 selected")
    maria.shot("8-picker")
    page.get_by_test_id("picker-import").click()
    expect(page.get_by_test_id("board-status")).to_have_text(
        "3 cards imported from Asana.")
    expect(page.get_by_test_id("card-title")).to_have_text(
        ["Design new navigation", "Fix broken signup link", "Accessibility audit"])
    maria.shot("9-imported")

    # She renames a card; Asana has the new title.
    open_card(page, "Design new navigation")
    expect(page.get_by_test_id("card-edit-title")).to_have_value("Design new navigation")
    page.get_by_test_id("card-edit-title").fill("Design the new navigation bar")
    maria.shot("10-editing")
    page.get_by_test_id("card-save").click()
    expect(page.get_by_test_id("card-dialog")).to_be_hidden()
    expect(page.get_by_test_id("board-status")).to_have_text("Saved to Asana.")
    expect(page.get_by_test_id("card-title").first).to_have_text("Design the new navigation bar")
    maria.shot("11-saved")
    task = asana.control("task", gid=DESIGN_TASK)["data"]
    assert task["name"] == "Design the new navigation bar"


# -- journey 2 -------------------------------------------------------------------------------
def test_asana_rejects_an_update_and_the_board_keeps_what_was_typed(
        watched, live_server, asana, member, board, asana_installed):
    from playwright.sync_api import expect

    card = stored_card(board, SIGNUP_TASK, "Fix broken signup link")
    maria = watched("member").log_in_as(live_server, member)
    page = maria.page
    page.goto(f"{live_server.url}/boards/{board.pk}")
    connect_asana(page)

    # Asana refuses the next change of this task, the way it answers a task Maria may not edit.
    asana.fault(path_prefix=f"/api/1.0/tasks/{SIGNUP_TASK}", method="PUT", times=1, status=403,
                body={"errors": [{"message": "Forbidden"}]})
    open_card(page, "Fix broken signup link")
    page.get_by_test_id("card-edit-title").fill("Fix the signup link on mobile")
    page.get_by_test_id("card-edit-description").fill("Broken since the CMS migration.")
    page.get_by_test_id("card-save").click()

    expect(page.get_by_test_id("card-error")).to_be_visible()
    expect(page.get_by_test_id("card-error-message")).to_have_text(
        errors.PROVIDER_FORBIDDEN.format(integration="Asana"))
    expect(page.get_by_test_id("card-edit-title")).to_have_value("Fix the signup link on mobile")
    expect(page.get_by_test_id("card-edit-description")).to_have_value(
        "Broken since the CMS migration.")
    expect(page.get_by_test_id("card-retry")).to_be_visible()
    expect(page.locator(f"#card-{card.pk}").get_by_test_id("card-sync-error")).to_be_visible()
    maria.shot("1-update-refused")
    task = asana.control("task", gid=SIGNUP_TASK)["data"]
    assert task["name"] == "Fix broken signup link"
    card.refresh_from_db()
    assert card.title == "Fix broken signup link"
    maria.accept_api_refusals([(403, f"/api/v1/cards/{card.pk}")])

    # Retry, once Asana accepts again, saves exactly what was typed.
    page.get_by_test_id("card-retry").click()
    expect(page.get_by_test_id("card-dialog")).to_be_hidden()
    expect(page.locator(f"#card-{card.pk}").get_by_test_id("card-title")).to_have_text(
        "Fix the signup link on mobile")
    maria.shot("2-retried")
    task = asana.control("task", gid=SIGNUP_TASK)["data"]
    assert (task["name"], task["notes"]) == ("Fix the signup link on mobile",
                                             "Broken since the CMS migration.")


# -- journey 3 -------------------------------------------------------------------------------
def test_support_revokes_the_member_tokens_and_the_board_asks_to_reconnect(
        watched, live_server, asana, member, board, asana_installed):
    from playwright.sync_api import expect

    card = stored_card(board, DESIGN_TASK, "Design new navigation")
    maria = watched("member").log_in_as(live_server, member)
    page = maria.page
    page.goto(f"{live_server.url}/boards/{board.pk}")
    connect_asana(page)
    account = ConnectedAccount.objects.get(user=member, integration=ASANA)
    held_token = account.access_token

    # Support staff find Maria's Asana account in the console and revoke its tokens.
    sam = watched("support")
    console = console_log_in(sam, live_server, make_support("sam-support"))
    console.goto(f"{live_server.url}/admin/tokens/connectedaccount/")
    console.locator("#searchbar").fill("maria")
    console.locator("#searchbar").press("Enter")
    row = console.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("present")
    sam.shot("1-accounts")
    row.locator("input[name=_selected_action]").check()
    console_action(console, "revoke_tokens")
    expect(console.locator(".revoke-accounts")).to_contain_text("Asana account of maria")
    sam.shot("2-confirm")
    console.locator("input[type=submit][value='Yes, revoke tokens']").click()
    expect(console.locator(".messagelist .success")).to_be_visible()
    expect(row).to_contain_text("Revoked")  # kept in the list, as revoked, with no token
    sam.shot("3-revoked")
    kept = ConnectedAccount.objects.get(user=member)
    assert kept.status == ConnectedAccount.Status.REVOKED and kept.access_token is None
    # Asana was told: the token Conduit held no longer opens anything there.
    assert asana.requests("/-/oauth_revoke")
    answer = requests.get(asana.url("/api/1.0/users/me"), timeout=5,
                          headers={"Authorization": f"Bearer {held_token}"})
    assert answer.status_code == 401

    # Maria, still on her board, opens a card: the board asks her to connect Asana again.
    board_ready(page)
    page.get_by_test_id("card-title").filter(has_text="Design new navigation").click()
    prompt = page.get_by_test_id("card-dialog").get_by_test_id("connect-prompt")
    expect(prompt).to_contain_text(errors.NEEDS_CONNECTION.format(integration="Asana"))
    expect(prompt.get_by_test_id("connect-link")).to_have_attribute(
        "href", re.compile(r"^/integrations/asana/connect\?"))
    expect(page.get_by_test_id("card-jira")).to_be_hidden()  # Jira is not installed here
    # The dialog follows the revoked connection: Connect instead of Save.
    expect(page.get_by_test_id("card-save")).to_be_hidden()
    expect(page.get_by_test_id("card-connect")).to_have_text("Connect Asana to edit")
    maria.shot("4-connect-prompt")
    maria.accept_api_refusals([(409, f"/api/v1/cards/{card.pk}/details")])
    page.get_by_test_id("card-close").click()
    page.reload()
    expect(page.get_by_test_id("integration-asana")).to_have_attribute("data-status",
                                                                       "not-connected")
    expect(page.get_by_test_id("connect-asana")).to_be_visible()
    maria.shot("5-board-after-revoke")


# -- journey 4 -------------------------------------------------------------------------------
def jira_issue_as_seen_by(member, key: str) -> dict:
    """The issue read from the Jira simulator's REST API with the member's own Jira token."""
    connection = JiraServerConnection.objects.get()
    account = ConnectedAccount.objects.get(user=member, integration="jira_server")
    auth = OAuth1(connection.consumer_key, signature_method=SIGNATURE_RSA,
                  rsa_key=connection.private_key_pem, resource_owner_key=account.access_token,
                  resource_owner_secret=account.token_secret)
    answer = requests.get(f"{connection.base_url}/rest/api/2/issue/{key}", auth=auth, timeout=5,
                          params={"fields": f"summary,issuetype,attachment,{SEVERITY_FIELD}"})
    assert answer.status_code == 200, answer.text
    return answer.json()["fields"]


def test_admin_registers_jira_and_member_creates_a_linked_issue_from_a_card(
        watched, live_server, asana, jira, team, admin, member, board, asana_installed):
    from playwright.sync_api import expect

    card = stored_card(board, WEBSITE_TASK_FIRST, "Draft homepage copy")

    # Alex installs Jira Server for the team and registers the Jira sandbox in the console.
    alex = watched("admin")
    console = console_log_in(alex, live_server, admin)
    console.locator("a.addlink[href$='/approvals/installation/add/']").click()
    console.locator("#id_team").select_option(label=team.name)
    console.locator("#id_integration").select_option(label="Jira Server")
    console.locator("input[name=_save]").click()
    expect(console.locator(".messagelist .success")).to_be_visible()
    console.goto(f"{live_server.url}/admin/")
    console.locator("a.addlink[href$='/integrations/jiraserverconnection/add/']").click()
    console.locator("#id_team").select_option(label=team.name)
    console.locator("#id_base_url").fill(jira.base_url)
    alex.shot("1-register-jira")
    console.locator("input[name=_save]").click()
    expect(console.locator(".messagelist")).to_contain_text(
        CHECK_STARTED.format(url=jira.base_url))

    # The check (in the background) passes on the connection's page, where Save lands; again
    # from its button; then the Application Link.
    expect(console.locator(".field-base_url")).to_contain_text(jira.base_url)
    expect(console.locator(".field-check_report")).to_contain_text("Result: PASS")
    console.locator("#run-check").click()
    expect(console.locator(".messagelist")).to_contain_text(
        CHECK_STARTED.format(url=jira.base_url))
    expect(console.locator(".field-check_report")).to_contain_text("Result: PASS")
    alex.shot("2-check-passed")
    console.locator(".object-tools a", has_text="Application Link").click()
    connection = JiraServerConnection.objects.get(team=team)
    expect(console.locator("#applink-values")).to_contain_text(connection.consumer_key)
    console.locator("#register-sandbox").click()
    expect(console.locator(".messagelist .success")).to_contain_text(SANDBOX_REGISTERED)
    expect(console.locator("#status")).to_have_text("Application Link verified")
    alex.shot("3-application-link")
    (applink,) = jira.http.get(jira.url("/_sandbox/applinks"), timeout=5).json()["data"]
    assert applink["consumer_key"] == connection.consumer_key

    # Maria connects Asana on her board; the card's Jira section asks her to connect Jira.
    maria = watched("member").log_in_as(live_server, member)
    page = maria.page
    page.goto(f"{live_server.url}/boards/{board.pk}")
    connect_asana(page)
    open_card(page, "Draft homepage copy")
    # Not connected to Jira: "Create Jira issue…" is disabled and the card says how to connect.
    expect(page.get_by_test_id("jira-open")).to_be_disabled()
    prompt = page.get_by_test_id("card-jira").get_by_test_id("jira-connect-prompt")
    expect(prompt).to_be_visible()
    expect(prompt.get_by_test_id("jira-connect-link")).to_have_attribute(
        "href", re.compile(r"^/integrations/jira_server/connect\?"))
    assert card.pk  # the stored card behind the dialog
    page.get_by_test_id("card-close").click()

    # She authorises Jira from the Integrations page, on the Jira sandbox's consent page.
    page.get_by_role("link", name="Integrations").click()
    jira_item = page.locator(f"#integration-{team.pk}-jira_server")
    jira_item.get_by_role("link", name="Connect").click()
    page.get_by_test_id("consent-continue").click()
    expect(page.locator("#approve")).to_be_visible()
    page.locator("#user").select_option("alice")
    maria.shot("1-jira-consent")
    page.locator("#approve").click()
    expect(page.locator(".messages")).to_contain_text("Jira Server is connected as Alice Anders")
    expect(jira_item).to_have_attribute("data-status", "connected")
    maria.shot("2-jira-connected")

    # From the Asana card, she creates an OPS incident, whose form asks for its Severity.
    page.get_by_role("link", name="Boards").click()
    page.get_by_role("link", name=board.name).click()
    open_card(page, "Draft homepage copy")
    expect(page.get_by_test_id("jira-linked-none")).to_be_visible()
    page.get_by_test_id("jira-open").click()
    page.get_by_test_id("jira-project").select_option(label="Operations (OPS)")
    expect(page.get_by_test_id("jira-issue-type")).to_be_enabled()
    page.get_by_test_id("jira-issue-type").select_option(label="Incident")
    severity = page.get_by_label("Severity (required)")
    severity.select_option(label="Sev 2")
    page.get_by_test_id("jira-create").scroll_into_view_if_needed()
    maria.shot("3-jira-form")
    page.get_by_test_id("jira-create").click()
    created = page.get_by_test_id("jira-created")
    expect(created).to_contain_text("Created OPS-")
    key = created.get_by_test_id("jira-issue-link").get_attribute("data-key")
    expect(created.get_by_test_id("jira-copied")).to_have_text(
        "Copied from Asana: homepage-copy.pdf, hero.png.")
    expect(created.get_by_test_id("jira-skipped-attachment")).to_have_text([
        f"Wireframes.fig — {errors.ATTACHMENT_LINK_SKIPPED.format(host='dropbox', integration='Asana')}",
        f"Brand guidelines — {errors.ATTACHMENT_LINK_SKIPPED.format(host='gdrive', integration='Asana')}",
    ])
    expect(page.get_by_test_id("jira-linked").get_by_test_id("jira-issue-link")).to_have_attribute(
        "href", f"{jira.base_url}/browse/{key}")
    created.scroll_into_view_if_needed()
    maria.shot("4-jira-issue-created")

    # In Jira: the incident with the task's title, the chosen Severity and the two files.
    (issue,) = [i for i in jira.control("issues")["data"] if i["key"] == key]
    assert issue["summary"] == "Draft homepage copy"
    assert issue["reporter"] == "alice"
    assert sorted(issue["attachments"]) == ["hero.png", "homepage-copy.pdf"]
    fields = jira_issue_as_seen_by(member, key)
    assert fields["issuetype"]["name"] == "Incident"
    assert fields[SEVERITY_FIELD]["value"] == "Sev 2"
    assert TicketLink.objects.filter(team=team, source_provider="asana",
                                     source_external_id=WEBSITE_TASK_FIRST,
                                     target_provider="jira_server",
                                     target_external_id=key).exists()

    # Opened again later, the card lists its linked issue.
    page.get_by_test_id("card-close").click()
    open_card(page, "Draft homepage copy")
    expect(page.get_by_test_id("jira-linked").get_by_test_id("jira-issue-link")).to_have_text(
        f"{key} ↗")
    page.get_by_test_id("card-jira").scroll_into_view_if_needed()
    maria.shot("5-card-with-linked-issue")
