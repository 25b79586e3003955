"""The Jira Server console pages: scoping, the check button and action, the Application Link
page, and no secret on any of them."""

import html

import pytest
from django.urls import reverse

from approvals.models import AuditEvent
from integrations.admin import CHECK_PAGE_LINK, CHECK_STARTED
from integrations.jira_server import checks
from integrations.jira_server.keys import public_key_body
from integrations.models import JiraServerConnection
from tests.factories import make_admin, make_support, make_team

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:integrations_jiraserverconnection_changelist")


def url(name: str, connection) -> str:
    return reverse(f"admin:integrations_jiraserverconnection_{name}", args=[connection.pk])


def page(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def console(client, admin):
    client.force_login(admin)
    return client


def test_the_team_admin_sees_the_connection_and_another_team_s_admin_does_not(
        client, console, connection):
    assert connection.base_url in page(console.get(CHANGELIST))
    client.force_login(make_admin(make_team("Globex")))
    assert connection.base_url not in page(client.get(CHANGELIST))
    assert client.get(url("applink", connection)).status_code == 404
    assert client.post(url("check", connection)).status_code == 404


def test_the_check_button_runs_the_check_and_shows_its_result(
        console, connection, jira, django_capture_on_commit_callbacks):
    jira.control("version", version="8.22.0")
    with django_capture_on_commit_callbacks(execute=True):  # the task, eager and synchronous
        console.post(url("check", connection))
    text = page(console.get(url("change", connection)))
    assert "PASS with warnings" in text
    assert checks.VERSION_OTHER_8.format(version="8.22.0") in text
    connection.refresh_from_db()
    assert connection.checked_at is not None
    assert AuditEvent.objects.filter(action="jira_server.check").count() == 1
    change = page(console.get(url("change", connection)))
    assert "Run compatibility check" in change and "Loopback exception applied" in change


def test_the_list_action_checks_the_selected_connections(
        console, connection, jira, django_capture_on_commit_callbacks):
    jira.control("version", version="7.2.0")
    with django_capture_on_commit_callbacks(execute=True):
        console.post(CHANGELIST, {"action": "run_compatibility_check",
                                  "_selected_action": [connection.pk]})
    change = page(console.get(url("change", connection)))
    assert checks.VERSION_TOO_OLD.format(version="7.2.0") in change
    connection.refresh_from_db()
    assert connection.status == JiraServerConnection.Status.INCOMPATIBLE


def test_saving_a_new_connection_lands_on_its_page_which_shows_the_check(
        console, team, jira, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the check stays queued
        response = console.post(reverse("admin:integrations_jiraserverconnection_add"),
                                {"team": team.pk, "base_url": jira.base_url, "_save": "Save"},
                                follow=True)
    connection = JiraServerConnection.objects.get(team=team)
    assert response.redirect_chain[-1][0] == url("change", connection)
    text = page(response)
    assert CHECK_STARTED.format(url=connection.base_url) in text
    assert 'id="check-progress"' in text


def test_the_list_action_says_where_the_check_shows_its_progress(
        console, connection, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = console.post(CHANGELIST, {"action": "run_compatibility_check",
                                             "_selected_action": [connection.pk]}, follow=True)
    assert response.redirect_chain[-1][0] == CHANGELIST
    text = page(response)
    assert "this page shows its progress" not in text
    assert f'<a href="{url("change", connection)}">{CHECK_PAGE_LINK}</a> shows its progress' in text


def test_the_applink_page_shows_every_value_jira_asks_for_and_no_secret(console, connection):
    text = page(console.get(url("applink", connection)))
    for label in ("Application URL", "Application Name", "Consumer Key", "Consumer Name",
                  "Public Key", "Consumer Callback URL"):
        assert label in text
    assert connection.consumer_key in text
    assert public_key_body(connection.public_key_pem) in text
    assert "http://testserver/integrations/jira_server/callback" in text
    assert "PRIVATE KEY" not in text
    assert public_key_body(connection.private_key_pem)[:60] not in text
    assert connection.webhook_secret not in text


def test_the_change_page_shows_no_private_key_or_webhook_secret(console, connection):
    text = page(console.get(url("change", connection)))
    assert "present (encrypted)" in text
    assert "PRIVATE KEY" not in text and connection.webhook_secret not in text


def test_the_sandbox_button_appears_only_for_a_loopback_server_with_the_exception(
        console, connection, settings):
    assert "Register with the sandbox" in page(console.get(url("applink", connection)))
    settings.EGRESS_ALLOW_LOOPBACK = False
    assert "Register with the sandbox" not in page(console.get(url("applink", connection)))
    refused = console.post(url("applink", connection), {"action": "sandbox"}, follow=True)
    assert "only for a loopback Jira simulator" in page(refused)


def test_verify_shows_jira_s_oauth_problem_and_what_to_do(console, connection):
    response = console.post(url("applink", connection), {"action": "verify"}, follow=True)
    text = page(response)
    assert "oauth_problem=consumer_key_unknown" in text
    assert connection.consumer_key in text


def test_support_reads_the_connection_but_cannot_act(client, connection):
    client.force_login(make_support())
    assert client.get(url("applink", connection)).status_code == 200
    assert client.post(url("check", connection)).status_code == 403
    assert client.post(url("applink", connection), {"action": "sandbox"}).status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="jira_server.check").exists()


def test_registering_in_the_console_refuses_a_second_server(console, connection, team):
    response = console.post(reverse("admin:integrations_jiraserverconnection_add"),
                            {"team": team.pk, "base_url": "https://jira.example.com"})
    assert response.status_code == 200
    assert "already has a Jira Server connection" in page(response)


def test_the_check_runs_after_the_request_and_its_progress_is_polled(
        console, connection, jira, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = console.post(url("check", connection))
    assert response.status_code == 302 and len(callbacks) == 1  # nothing checked yet
    queued = console.get(url("check_progress", connection)).json()
    assert queued["state"] == "queued" and queued["running"] is True
    callbacks[0]()  # what the worker does
    done = console.get(url("check_progress", connection)).json()
    assert done["state"] == "idle" and done["running"] is False and done["outcome"] == "pass"
    assert [item["title"] for item in done["items"]][:2] == [
        checks.TITLES["https"], checks.TITLES["public_address"]]
