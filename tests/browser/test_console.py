"""Issue 12's governance desk in a real Chromium at 1280×900: deciding install requests from
the console home and from a request's page, the uninstall confirmation, the Application Link
page without horizontal scroll, the Jira check's progress, and the lists at 1280 px.

Screenshots of each key screen land in artifacts/screenshots/ (tests/browser/conftest.py).
Console errors and CSP violations fail a test.
"""

from __future__ import annotations

import pytest

from approvals import services as approval_services
from approvals.models import AuditEvent, Installation, InstallRequest
from integrations.admin import CHECK_STARTED
from integrations.jira_server import checks
from integrations.jira_server import services as jira_services
from tests.factories import make_admin, make_member, make_support, make_team
from tokens.models import ConnectedAccount

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture
def team(db):
    return make_team("Demo Team")


@pytest.fixture
def admin(team):
    return make_admin(team, "ada")


@pytest.fixture
def requests_pending(team, admin):
    """Maria asks for Asana and Bob for Jira Server."""
    maria, bob = make_member(team, "maria"), make_member(team, "bob")
    asana = approval_services.install_request_create(team=team, integration="asana",
                                                     requested_by=maria)
    jira = approval_services.install_request_create(team=team, integration="jira_server",
                                                    requested_by=bob)
    return asana, jira


def console(watched, live_server, user, person: str = "admin"):
    watched_page = watched(person).log_in_as(live_server, user)
    watched_page.page.set_viewport_size(VIEWPORT)
    return watched_page


def no_horizontal_scroll(page) -> None:
    """Neither the page nor a list's own scroll box is wider than the 1280 px window (the
    admin clips a wide list inside `.results`, so both are measured)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"], f"{page.url} is {width} px wide"
    clipped = page.evaluate(
        "[...document.querySelectorAll('.results')].filter(e => e.scrollWidth > e.clientWidth)"
        ".map(e => e.scrollWidth)")
    assert clipped == [], f"a list on {page.url} is cut off ({clipped} px wide)"


def status_of(install_request) -> str:
    install_request.refresh_from_db()
    return install_request.status


def test_approve_and_deny_from_the_console_home(watched, live_server, team, admin,
                                                 requests_pending):
    from playwright.sync_api import expect

    asana, jira = requests_pending
    alex = console(watched, live_server, admin)
    page = alex.page
    page.goto(f"{live_server.url}/admin/")
    desk = page.locator("#pending-requests")
    expect(desk.locator("tbody tr")).to_have_count(2)
    expect(page.locator("#latest-events")).to_contain_text("maria asked for Asana in Demo Team")
    no_horizontal_scroll(page)
    alex.shot("1-desk")

    desk.locator(f"tr[data-request='{asana.pk}'] .approve-button").click()
    expect(page.locator(".messagelist .success")).to_contain_text(
        "Approved: Asana is now installed for Demo Team")
    assert status_of(asana) == InstallRequest.Status.APPROVED
    assert Installation.objects.filter(team=team, integration="asana").exists()

    row = page.locator(f"#pending-requests tr[data-request='{jira.pk}']")
    row.locator("input[name=reason]").fill("We use Asana for now")
    row.locator(".deny-button").click()
    expect(page.locator(".consequences")).to_contain_text("1 person, bob, is told by e-mail")
    alex.shot("2-deny-confirmation")
    assert status_of(jira) == InstallRequest.Status.PENDING
    page.locator("#confirm-deny").click()
    expect(page).to_have_url(f"{live_server.url}/admin/")
    expect(page.locator(".messagelist .success")).to_contain_text("Denied Jira Server")
    expect(page.locator("#latest-events")).to_contain_text(
        "ada denied Jira Server for Demo Team: “We use Asana for now”")
    expect(page.locator("#latest-events")).to_contain_text("ada approved Asana for Demo Team")
    alex.shot("3-desk-after")
    assert status_of(jira) == InstallRequest.Status.DENIED


def test_approve_and_deny_from_the_request_page(watched, live_server, team, admin,
                                                requests_pending):
    from playwright.sync_api import expect

    asana, jira = requests_pending
    alex = console(watched, live_server, admin)
    page = alex.page
    page.goto(f"{live_server.url}/admin/approvals/installrequest/{asana.pk}/change/")
    expect(page.locator("#approve-request")).to_be_visible()
    expect(page.locator("input[name=_save]")).to_have_count(0)
    alex.shot("1-request-page")
    page.locator("#approve-request").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Approved: Asana")
    expect(page.locator("#decided")).to_contain_text("Approved by ada")
    assert status_of(asana) == InstallRequest.Status.APPROVED

    page.goto(f"{live_server.url}/admin/approvals/installrequest/{jira.pk}/change/")
    page.locator("#deny-reason").fill("Not this quarter")
    page.locator("#deny-reason").press("Enter")  # Enter in the reason denies, never approves
    expect(page.locator("#confirm-deny")).to_be_visible()
    assert status_of(jira) == InstallRequest.Status.PENDING
    page.locator("#confirm-deny").click()
    expect(page.locator("#decided")).to_contain_text("Denied by ada")
    alex.shot("2-denied")
    assert status_of(jira) == InstallRequest.Status.DENIED
    page.goto(f"{live_server.url}/admin/approvals/installrequest/")
    no_horizontal_scroll(page)
    alex.shot("3-request-list")


def test_uninstall_for_team_asks_first_and_says_how_many_people_lose_their_tokens(
        watched, live_server, team, admin):
    from playwright.sync_api import expect

    installation = Installation.objects.create(team=team, integration="asana",
                                               installed_by=admin)
    for username in ("maria", "bob"):
        ConnectedAccount.objects.create(user=make_member(team, username), team=team,
                                        integration="asana", access_token="not-a-real-token")
    alex = console(watched, live_server, admin)
    page = alex.page
    page.goto(f"{live_server.url}/admin/approvals/installation/")
    page.locator(f"input[name=_selected_action][value='{installation.pk}']").check()
    page.locator("select[name=action]").select_option("uninstall_for_team")
    page.locator("button[name=index]").click()
    consequences = page.locator("#uninstall-consequences")
    expect(consequences).to_contain_text("2 people")
    expect(consequences).to_contain_text("bob, maria")
    alex.shot("1-confirmation")
    assert Installation.objects.filter(pk=installation.pk).exists()  # nothing happened yet
    page.locator("#confirm-uninstall").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Uninstalled 1 integration(s).")
    assert not Installation.objects.filter(pk=installation.pk).exists()
    assert set(ConnectedAccount.objects.values_list("status", flat=True)) == {"revoked"}

    page.goto(f"{live_server.url}/admin/tokens/connectedaccount/?status__exact=revoked")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    expect(page.locator("#result_list")).to_contain_text("uninstalled for the team")
    no_horizontal_scroll(page)
    alex.shot("2-revoked-accounts")


def test_the_application_link_page_fits_1280_px_with_a_copy_button_per_value(
        watched, live_server, team, admin, jira_sandbox):
    from playwright.sync_api import expect

    connection = jira_services.connection_register(team=team, base_url=jira_sandbox.base_url,
                                                   acting_user=admin)
    alex = console(watched, live_server, admin)
    page = alex.page
    page.goto(f"{live_server.url}/admin/integrations/jiraserverconnection/{connection.pk}/applink/")
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("#applink-values > li")).to_have_count(5)
    fields = page.locator(".applink-field[data-copyable]")
    expect(fields).to_have_count(6)  # URL, name, consumer key and name, public key, callback
    expect(fields.locator("button.copy-button")).to_have_count(6)
    expect(page.locator("[data-field=consumer-key]")).to_have_text(connection.consumer_key)
    no_horizontal_scroll(page)
    alex.shot("1-applink")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy = page.locator("button[data-copy=value-consumer-key]")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == connection.consumer_key


def test_the_jira_check_runs_in_the_background_and_shows_its_progress(
        watched, live_server, team, admin, jira_sandbox, settings):
    from playwright.sync_api import expect

    settings.JIRA_CHECK_THREAD_WHEN_EAGER = True  # as in the trial: no worker, no waiting
    jira_sandbox.clear_faults()
    connection = jira_services.connection_register(team=team, base_url=jira_sandbox.base_url,
                                                   acting_user=admin)
    # Jira takes 3 s to describe itself: long enough to see the check running.
    jira_sandbox.fault(path_prefix="/rest/api/2/serverInfo", latency_ms=3000, times=1)
    alex = console(watched, live_server, admin)
    page = alex.page
    page.goto(f"{live_server.url}/admin/integrations/jiraserverconnection/{connection.pk}/change/")
    page.locator("#run-check").click()
    expect(page.locator(".messagelist")).to_contain_text(
        CHECK_STARTED.format(url=connection.base_url))
    progress = page.locator("#check-progress")
    expect(progress).to_be_visible()
    expect(progress).to_contain_text(checks.TITLES["https"])
    alex.shot("1-check-running")
    expect(page.locator(".field-check_report")).to_contain_text("Result: PASS", timeout=15_000)
    expect(page.locator("#check-progress")).to_be_hidden()
    expect(page.locator(".field-check_report")).to_contain_text(
        f"[PASS] {checks.TITLES['version']}")
    # The reload that shows the report drops the message saying the check is running.
    expect(page.locator(".messagelist")).to_have_count(0)
    no_horizontal_scroll(page)
    alex.shot("2-check-done")
    jira_sandbox.clear_faults()
    assert AuditEvent.objects.filter(action="jira_server.check").count() == 1


def test_the_saved_message_outlives_the_reload_that_shows_the_check_report(
        watched, live_server, team, admin, jira_sandbox, settings):
    from playwright.sync_api import expect

    settings.JIRA_CHECK_THREAD_WHEN_EAGER = True
    jira_sandbox.clear_faults()
    jira_sandbox.fault(path_prefix="/rest/api/2/serverInfo", latency_ms=3000, times=1)
    alex = console(watched, live_server, admin)
    page = alex.page
    page.goto(f"{live_server.url}/admin/integrations/jiraserverconnection/add/")
    page.locator("#id_team").select_option(label=team.name)
    page.locator("#id_base_url").fill(jira_sandbox.base_url)
    page.locator("input[name=_save]").click()
    expect(page.locator("#check-progress")).to_be_visible()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator(".field-check_report")).to_contain_text("Result: PASS", timeout=15_000)
    messages = page.locator(".messagelist")
    expect(messages).to_contain_text("was added successfully")
    expect(messages).not_to_contain_text(CHECK_STARTED.format(url=jira_sandbox.base_url))
    alex.shot("1-saved-and-checked")
    page.reload()  # shown once: a later visit has no stale message
    expect(page.locator(".messagelist")).to_have_count(0)
    jira_sandbox.clear_faults()


def test_the_audit_log_reads_as_sentences_and_fits_1280_px(watched, live_server, team, admin,
                                                           requests_pending):
    from playwright.sync_api import expect

    asana, _ = requests_pending
    approval_services.install_request_approve(install_request=asana, acting_user=admin)
    sam = console(watched, live_server, make_support("sam"), person="support")
    page = sam.page
    page.goto(f"{live_server.url}/admin/approvals/auditevent/")
    expect(page.locator("#result_list")).to_contain_text(
        "ada approved Asana for Demo Team (status: pending → approved)")
    no_horizontal_scroll(page)
    sam.shot("1-audit-log")


def test_the_connected_accounts_list_fits_1280_px_with_every_date_shown(watched, live_server,
                                                                        team, admin):
    from datetime import timedelta

    from django.utils import timezone
    from playwright.sync_api import expect

    now = timezone.now()
    ConnectedAccount.objects.create(
        user=make_member(team, "maria"), team=team, integration="asana",
        access_token="not-a-real-token", refresh_token="not-a-real-token",
        provider_account_name="Maria Lovelace-Hopper", expires_at=now + timedelta(hours=1),
        last_used_at=now, last_refreshed_at=now)
    sam = console(watched, live_server, make_support("sam"), person="support")
    page = sam.page
    page.goto(f"{live_server.url}/admin/tokens/connectedaccount/")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list td.field-last_used_at")).to_be_visible()
    no_horizontal_scroll(page)
    sam.shot("1-accounts")
