"""The README's walk-through, step by step, in Chromium against a real `make run`.

The trial runs as a subprocess on free ports with its own `.local/` (SQLite, secrets, the
simulators' kept state), started once for the module; people log in with the passwords its
banner printed. STEPS are the README's step titles, in order: the first test checks that the
README still says exactly these, so the walk-through and this test cannot drift apart. The
last step stops the trial with Ctrl-C, starts it again on the same ports and carries on.
Screenshots (1280×900) of each key screen land in artifacts/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cards import errors
from integrations.admin import SANDBOX_REGISTERED
from integrations.sandbox.asana.seed import ADA
from tests.browser.conftest import ARTIFACTS, board_ready
from tests.test_trial import Trial

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

README = Path(__file__).resolve().parents[2] / "README.md"
STEPS = [
    "Start the trial.",
    "Open the demo board as the member.",
    "Copy a task link from the Asana simulator.",
    "Paste it on the board, and ask for Jira too.",
    "Approve both requests as the admin.",
    "Register the Jira simulator as the admin.",
    "Connect Asana as the member.",
    "Paste the link again.",
    "Connect Jira as the member.",
    "Create a linked Jira issue.",
    "Restart and carry on.",
]
VIEWPORT = {"width": 1280, "height": 900}
PASTED_TASK = "Accessibility audit"
CARD_TASK = "Draft homepage copy"


def readme_steps() -> list[str]:
    walkthrough = README.read_text().split("### Walk-through", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\d+\. \*\*(.+?)\*\*", walkthrough, re.M)


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    """Step 1: a fresh `make run` (its own .local/), shared by the module's tests."""
    running = Trial(tmp_path_factory.mktemp("trial-local"))
    yield running
    if running.process.poll() is None:
        running.stop()


class Person:
    """One browser context: a trial login, a 1280×900 page, screenshots named by step."""

    def __init__(self, watched, trial: Trial, username: str) -> None:
        self.watched = watched(username)
        self.page = self.watched.page
        self.page.set_viewport_size(VIEWPORT)
        self.page.set_default_timeout(15_000)
        self.trial = trial
        self.username = username

    def log_in(self, path: str = "login") -> None:
        from playwright.sync_api import expect

        page = self.page
        page.goto(self.trial.url + path)
        page.locator("#id_username").fill(self.username)
        page.locator("#id_password").fill(self.trial.logins()[self.username])
        page.locator("[type=submit]").last.click()
        expect(page.locator("#id_password")).to_have_count(0)

    def shot(self, step: int, name: str) -> None:
        self.watched.shot(f"{step:02d}-{name}")


def open_demo_board(page, trial: Trial) -> None:
    from playwright.sync_api import expect

    page.goto(trial.url)
    page.get_by_role("link", name="Demo board").click()
    expect(page.get_by_test_id("board-name")).to_have_text("Demo board")


def open_card(page, title: str) -> None:
    from playwright.sync_api import expect

    board_ready(page)
    page.get_by_test_id("card-title").filter(has_text=title).click()
    expect(page.get_by_test_id("card-dialog")).to_be_visible()


def test_readme_names_the_steps_this_test_follows():
    assert readme_steps() == STEPS


def test_readme_walkthrough_from_a_fresh_make_run_to_a_linked_jira_issue_and_after_a_restart(
        watched, trial):
    from playwright.sync_api import expect

    # 1. Start the trial: the banner names the URL, the logins and both simulators.
    asana_url = f"http://127.0.0.1:{trial.asana_port}/"
    jira_url = f"http://127.0.0.1:{trial.jira_port}"
    assert f"Conduit is running at {trial.url}" in trial.output
    assert asana_url in trial.output and f"{jira_url}/" in trial.output

    # 2. Open the demo board as the member: cards of both simulators; not connected, a card
    #    shows what is stored and offers Connect instead of Save.
    member = Person(watched, trial, "member")
    page = member.page
    member.log_in()
    open_demo_board(page, trial)
    expect(page.get_by_test_id("card-title")).to_have_count(5)
    expect(page.locator("[data-testid=card][data-provider=jira_server]")).to_have_count(2)
    member.shot(2, "demo-board")
    open_card(page, CARD_TASK)
    expect(page.get_by_test_id("card-save")).to_be_hidden()
    expect(page.get_by_test_id("card-connect")).to_be_visible()
    member.shot(2, "card-not-connected")
    page.get_by_test_id("card-close").click()
    card_id = page.get_by_test_id("card-title").filter(has_text=CARD_TASK).get_attribute(
        "data-card-id")
    member.watched.accept_api_refusals([(409, f"/api/v1/cards/{card_id}/details")])

    # 3. Copy a task link from the Asana simulator's home page.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=asana_url.rstrip("/"))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=trial.url.rstrip("/"))
    simulator = page.context.new_page()
    simulator.set_viewport_size(VIEWPORT)
    simulator.goto(asana_url)
    row = simulator.get_by_test_id("item").filter(has_text=PASTED_TASK)
    link = row.locator("input.link").input_value()
    assert link.startswith(asana_url)
    row.get_by_role("button", name="Copy").click()
    expect(row.get_by_role("button", name="Copied")).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    simulator.screenshot(path=str(ARTIFACTS / f"{member.watched.journey}-03-asana-simulator.png"),
                         full_page=True)
    simulator.close()

    # 4. Paste it on the board: an install request; Import tasks… asks for Jira too.
    page.bring_to_front()
    page.get_by_test_id("paste-box").focus()
    page.keyboard.press("Control+V")
    expect(page.get_by_test_id("paste-box")).to_have_value(link)
    expect(page.get_by_test_id("install-requested")).to_have_text(
        errors.INSTALL_REQUESTED.format(integration="Asana", team="Demo Team"))
    member.shot(4, "install-requested")
    page.get_by_test_id("open-import").click()
    expect(page.get_by_test_id("import-nothing-installed")).to_be_visible()
    expect(page.get_by_test_id("install-needed-asana")).to_contain_text("waiting for an admin")
    member.shot(4, "import-asks-for-jira")
    page.get_by_test_id("import-request-jira_server").click()
    expect(page.get_by_test_id("integration-jira_server").get_by_test_id(
        "install-request-pending")).to_be_visible()

    # 5. Approve both requests as the admin, in the console.
    admin = Person(watched, trial, "admin")
    console = admin.page
    admin.log_in("admin/login/?next=/admin/")
    console.goto(trial.url + "admin/approvals/installrequest/?status__exact=pending")
    rows = console.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    admin.shot(5, "pending-requests")
    console.locator("#action-toggle").check()
    console.locator("select[name=action]").select_option("approve_requests")
    console.locator("button[name=index]").click()
    expect(console.locator(".messagelist .success")).to_be_visible()
    admin.shot(5, "approved")

    # 6. Register the Jira simulator: the check runs in the background and the connection's
    #    page, where Save lands, shows its progress, then its report (PASS); the Application Link through the
    #    sandbox is verified.
    console.goto(trial.url + "admin/integrations/jiraserverconnection/add/")
    console.locator("#id_team").select_option(label="Demo Team")
    console.locator("#id_base_url").fill(jira_url)
    console.locator("input[name=_save]").click()
    # Save lands on the connection's page, where CHECK_STARTED says the progress shows (the
    # trial's check runs in a thread and may finish first: the page then reloads with the
    # report, without the message; tests/integrations/jira_server/test_admin.py asserts it).
    expect(console).to_have_url(re.compile(r"/admin/integrations/jiraserverconnection/[^/]+/change/$"))
    expect(console.locator(".field-base_url")).to_contain_text(jira_url)
    expect(console.locator(".field-check_report")).to_contain_text("Result: PASS",
                                                                   timeout=30_000)
    expect(console.locator("#check-progress")).to_be_hidden()
    admin.shot(6, "check-passed")
    console.locator(".object-tools a", has_text="Application Link").click()
    console.locator("#register-sandbox").click()
    expect(console.locator(".messagelist .success")).to_contain_text(SANDBOX_REGISTERED)
    admin.shot(6, "application-link")

    # 7. Connect Asana as the member: Conduit's page first, then the simulator's consent.
    page.reload()
    page.get_by_test_id("connect-asana").click()
    expect(page.get_by_test_id("consent-stored")).to_contain_text("Priority")
    expect(page.get_by_test_id("consent-scopes")).to_contain_text("tasks:write")
    member.shot(7, "pre-consent")
    page.get_by_test_id("consent-continue").click()
    expect(page.locator("#user option:checked, #user option").filter(has_text="Ada Lovelace")
           ).not_to_have_count(0)
    page.locator("#user").select_option(ADA)
    member.shot(7, "asana-consent")
    page.locator("#allow").click()
    expect(page.get_by_test_id("integration-asana")).to_have_attribute("data-status",
                                                                       "connected")

    # 8. Paste the link again: it unfurls, and "Add as card" puts it on the board.
    page.get_by_test_id("paste-box").fill(link)
    page.get_by_test_id("paste-unfurl").click()
    expect(page.get_by_test_id("paste-preview")).to_contain_text(PASTED_TASK)
    page.get_by_test_id("paste-box").fill(link)
    page.get_by_test_id("paste-import").click()
    expect(page.get_by_test_id("card-title").filter(has_text=PASTED_TASK)).to_have_count(1)
    member.shot(8, "unfurled-and-added")

    # 9. Connect Jira as the member, from the Integrations page.
    page.get_by_role("link", name="Integrations").click()
    jira_item = page.locator("article.integration[id$='-jira_server']")
    jira_item.get_by_role("link", name="Connect").click()
    expect(page.get_by_test_id("consent-scopes")).to_contain_text("no finer scopes")
    page.get_by_test_id("consent-continue").click()
    page.locator("#user").select_option("alice")
    page.locator("#approve").click()
    expect(jira_item).to_have_attribute("data-status", "connected")
    expect(jira_item.get_by_test_id("account")).to_contain_text("Alice Anders")
    expect(page.get_by_test_id("actions-explained")).to_contain_text("Uninstall for me")
    member.shot(9, "integrations")

    # 10. Create a linked Jira issue from the Asana card; its link opens the simulator's page.
    open_demo_board(page, trial)
    open_card(page, CARD_TASK)
    expect(page.get_by_test_id("card-save")).to_be_visible()
    expect(page.get_by_test_id("details-modified")).to_be_visible()
    page.get_by_test_id("jira-open").click()
    page.get_by_test_id("jira-project").select_option(label="Conduit Test (TEST)")
    expect(page.get_by_test_id("jira-issue-type")).to_be_enabled()
    page.get_by_test_id("jira-issue-type").select_option(label="Task")
    page.get_by_test_id("jira-create").click()
    created = page.get_by_test_id("jira-created")
    expect(created).to_contain_text("Created TEST-")
    expect(page.get_by_test_id("jira-skipped-warning")).to_have_class(re.compile("banner-warn"))
    issue_link = page.get_by_test_id("jira-linked").get_by_test_id("jira-issue-link")
    key = issue_link.get_attribute("data-key")
    expect(issue_link).to_have_attribute("href", f"{jira_url}/browse/{key}")
    created.scroll_into_view_if_needed()
    member.shot(10, "jira-issue-created")
    with page.context.expect_page() as opened:
        issue_link.click()
    issue_page = opened.value
    expect(issue_page.locator("#issue-summary")).to_have_text(CARD_TASK)
    issue_page.close()

    # 11. Restart and carry on: Ctrl-C, `make run` again on the same ports, log in again.
    said = trial.stop()
    assert "Conduit stopped." in said and "Traceback" not in said
    again = Trial(trial.local_dir, ports=trial.ports)
    try:
        assert again.logins() == trial.logins()
        returning = Person(watched, again, "member")
        page = returning.page
        returning.log_in()
        open_demo_board(page, again)
        expect(page.get_by_test_id("card-title")).to_have_count(6)
        expect(page.get_by_test_id("integration-asana")).to_have_attribute("data-status",
                                                                           "connected")
        open_card(page, CARD_TASK)
        expect(page.get_by_test_id("details-modified")).to_be_visible()  # Asana still knows us
        expect(page.get_by_test_id("jira-linked").get_by_test_id("jira-issue-link")).to_have_text(
            f"{key} ↗")
        page.get_by_test_id("jira-open").click()  # Jira still knows Conduit's consumer key
        expect(page.get_by_test_id("jira-project")).to_be_enabled()
        expect(page.get_by_test_id("jira-problem")).to_be_empty()
        returning.shot(11, "after-restart")
    finally:
        if again.process.poll() is None:
            again.stop()
