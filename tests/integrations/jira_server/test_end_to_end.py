"""Issue 6 end to end against both simulators: a team admin registers the Jira server in the
console and sets up the Application Link through the sandbox; a member authorises Jira through
OAuth 1.0a, creates a linked Jira issue from an Asana card with one Asana-hosted and one
external attachment; the issue has the one file, the link is reported as skipped; reconnecting
the server keeps the link; a second server for the team is refused."""

import base64
import html
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from approvals.models import Installation
from cards import errors as card_errors
from cards.models import Board, TicketLink
from integrations.jira_server import errors
from integrations.jira_server.keys import public_key_body
from integrations.models import JiraServerConnection
from integrations.sandbox.asana.seed import ADA, WEBSITE_PROJECT, WEBSITE_TASK_FIRST
from tests.fixtures.asana import REPORT, asana_oauth_tokens, asana_with_attachments
from tests.integrations.jira_server.conftest import connect_jira
from tokens.models import ConnectedAccount

pytestmark = pytest.mark.django_db

TASK = str(int(WEBSITE_TASK_FIRST) + 1)  # no attachments in the seed
ADD = reverse("admin:integrations_jiraserverconnection_add")


@pytest.fixture
def asana(settings, asana_sandbox):
    with asana_with_attachments(settings, asana_sandbox, task=TASK) as sandbox:
        yield sandbox


@pytest.fixture
def installed(team, admin):
    for integration in ("asana", "jira_server"):
        Installation.objects.create(team=team, integration=integration, installed_by=admin)


def connect_asana(asana, *, user, team) -> ConnectedAccount:
    from integrations.asana.oauth import SCOPES

    body = asana_oauth_tokens(asana, user_gid=ADA, scope=" ".join(SCOPES))
    return ConnectedAccount.objects.create(
        user=user, team=team, integration="asana",
        access_token=body["access_token"], refresh_token=body["refresh_token"],
        expires_at=timezone.now() + timedelta(seconds=int(body["expires_in"])),
        scopes=" ".join(SCOPES), provider_account_id=body["data"]["gid"],
    )


def api(user) -> APIClient:
    client = APIClient(REMOTE_ADDR="127.0.6.1")
    client.force_login(user)
    return client


def console_register(console, team, base_url: str):
    return console.post(ADD, {"team": team.pk, "base_url": base_url})


def console_applink(console, connection):
    return reverse("admin:integrations_jiraserverconnection_applink", args=[connection.pk])


def test_linked_issue_from_an_asana_card_end_to_end(client, team, admin, member, jira, asana,
                                                    installed, django_capture_on_commit_callbacks):
    console = type(client)()
    console.force_login(admin)

    # The team admin registers the server; the check runs once the registration is committed.
    with django_capture_on_commit_callbacks(execute=True):
        response = console_register(console, team, jira.base_url)
    assert response.status_code == 302, html.unescape(response.content.decode())[:3000]
    connection = JiraServerConnection.objects.get(team=team)
    assert connection.status == JiraServerConnection.Status.COMPATIBLE
    assert connection.server_version == "8.5.0"

    # The Application Link page shows the values for Jira, and registers them in the sandbox.
    page = html.unescape(console.get(console_applink(console, connection)).content.decode())
    assert connection.consumer_key in page
    assert public_key_body(connection.public_key_pem) in page
    assert "http://testserver/integrations/jira_server/callback" in page
    assert "Register with the sandbox" in page
    console.post(console_applink(console, connection), {"action": "sandbox"})
    connection.refresh_from_db()
    assert connection.status == JiraServerConnection.Status.ACTIVE

    # A member connects Asana and authorises Jira through OAuth 1.0a.
    connect_asana(asana, user=member, team=team)
    connect_jira(client, member, jira, jira_user="alice")

    # The member imports the Asana task as a card.
    board = Board.objects.create(team=team, name="Website", created_by=member)
    imported = api(member).post(
        f"/api/v1/boards/{board.pk}/cards/",
        {"url": f"https://app.asana.com/0/{WEBSITE_PROJECT}/{TASK}"}, format="json")
    assert imported.status_code in (200, 201), imported.content
    card_id = (imported.json().get("cards") or [imported.json()])[0]["id"]
    task = asana.control("task", gid=TASK)["data"]

    # The form comes from createmeta.
    form = api(member).get(f"/api/v1/cards/{card_id}/jira-issue", {"project": "TEST"})
    assert form.status_code == 200, form.content
    (test_project,) = form.json()["projects"]
    assert {t["name"] for t in test_project["issue_types"]} == {"Task", "Bug", "Story"}

    # The member creates the linked issue.
    created = api(member).post(f"/api/v1/cards/{card_id}/jira-issue",
                               {"project": "TEST", "issue_type": "Task"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    key = body["issue"]["key"]
    assert body["issue"]["url"] == f"{jira.base_url}/browse/{key}"
    assert [a["name"] for a in body["attachments"]["copied"]] == ["report.pdf"]
    (skipped,) = body["attachments"]["skipped"]
    assert skipped["name"] == "Mockups" and skipped["host"] == "dropbox"
    assert skipped["url"] == "https://www.dropbox.com/s/abc/Mockups.fig"
    assert skipped["reason"] == card_errors.ATTACHMENT_LINK_SKIPPED.format(host="dropbox",
                                                                    integration="Asana")
    assert body["attachments"]["failed"] == []

    # In Jira: the issue with the task's title and description, and the one file.
    issue = next(i for i in jira.control("issues")["data"] if i["key"] == key)
    assert issue["summary"] == task["name"]
    assert task["notes"] in issue["description"]
    assert task["permalink_url"] in issue["description"]
    assert issue["reporter"] == "alice"
    (stored,) = jira.control("attachments", issue=key)["data"]
    assert stored["filename"] == "report.pdf"
    assert base64.b64decode(stored["content_base64"]) == REPORT
    upload = [r for r in jira.requests(f"/rest/api/2/issue/{key}/attachments")]
    assert upload[0]["headers"]["x-atlassian-token"] == "no-check"

    # The link is stored and shown on the card.
    link = TicketLink.objects.get(team=team, source_external_id=TASK, target_external_id=key)
    assert (link.source_provider, link.target_provider, link.target_site) == (
        "asana", "jira_server", jira.base_url)
    assert link.target_url == f"{jira.base_url}/browse/{key}" and link.target_internal_id
    card = api(member).get(f"/api/v1/cards/{card_id}").json()
    assert [link["jira_issue_key"] for link in card["jira_issues"]] == [key]

    # Reconnecting the same server keeps the link: registering it again...
    assert console_register(console, team, jira.base_url + "/").status_code == 302
    assert JiraServerConnection.objects.get(team=team).pk == connection.pk
    assert [i["jira_issue_key"] for i in
            api(member).get(f"/api/v1/cards/{card_id}").json()["jira_issues"]] == [key]
    # ...and removing the connection and registering the server afresh.
    delete = reverse("admin:integrations_jiraserverconnection_delete", args=[connection.pk])
    assert console.post(delete, {"post": "yes"}).status_code == 302
    assert not JiraServerConnection.objects.exists()
    assert console_register(console, team, jira.base_url).status_code == 302
    assert [i["jira_issue_key"] for i in
            api(member).get(f"/api/v1/cards/{card_id}").json()["jira_issues"]] == [key]

    # A second server for the same team is refused with a clear message.
    refused = console_register(console, team, "https://jira.other.example")
    text = html.unescape(refused.content.decode())
    assert refused.status_code == 200
    assert errors.SECOND_SERVER_REFUSED.format(
        team=team.name, current=jira.base_url, requested="https://jira.other.example") in text
    assert JiraServerConnection.objects.filter(team=team).count() == 1


def test_a_linked_issue_needs_an_asana_card(team, member, jira, installed, connection):
    board = Board.objects.create(team=team, name="Ops")
    card = board.cards.create(provider="jira_server", external_id="TEST-1",
                              url=f"{jira.base_url}/browse/TEST-1", title="Jira card")
    response = api(member).post(f"/api/v1/cards/{card.pk}/jira-issue", {"project": "TEST"},
                                format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_supported"


def test_a_linked_issue_without_a_registered_server_says_so(team, member, installed):
    board = Board.objects.create(team=team, name="Ops")
    card = board.cards.create(provider="asana", external_id=TASK,
                              url="https://app.asana.com/0/0/1", title="Asana card")
    response = api(member).post(f"/api/v1/cards/{card.pk}/jira-issue", {"project": "TEST"},
                                format="json")
    assert response.status_code == 409
    assert response.json()["error"]["message"] == card_errors.LINK_TARGET_NOT_SET_UP.format(
        integration="Jira Server", team=team.name)


def test_another_team_cannot_create_an_issue_from_our_card(team, jira, installed):
    from tests.factories import make_member, make_team

    board = Board.objects.create(team=team, name="Ops")
    card = board.cards.create(provider="asana", external_id=TASK,
                              url="https://app.asana.com/0/0/1", title="Asana card")
    outsider = make_member(make_team("Globex"))
    response = api(outsider).post(f"/api/v1/cards/{card.pk}/jira-issue", {"project": "TEST"},
                                  format="json")
    assert response.status_code == 404


def test_the_generic_linked_ticket_endpoint_creates_a_jira_issue_and_refuses_malformed_values(
        client, team, member, jira, asana, installed, linked_connection):
    from integrations.jira_server.provider import FORM_VALUES_INVALID

    connect_asana(asana, user=member, team=team)
    connect_jira(client, member, jira, jira_user="alice")
    board = Board.objects.create(team=team, name="Ops")
    card = board.cards.create(provider="asana", external_id=TASK,
                              url="https://app.asana.com/0/0/1", title="Asana card")
    path = f"/api/v1/cards/{card.pk}/linked-tickets/jira_server"

    # Jira's form values are an issue type and an object of fields: a list is refused (422).
    refused = api(member).post(path, {"container": "TEST", "values": {"fields": ["a", "b"]}},
                               format="json")
    assert refused.status_code == 422, refused.content
    assert FORM_VALUES_INVALID in refused.json()["error"]["message"]
    assert not TicketLink.objects.exists()

    created = api(member).post(path, {"container": "TEST", "values": {"issue_type": "Bug"}},
                               format="json")
    assert created.status_code == 201, created.content
    key = created.json()["ticket"]["key"]
    issue = next(i for i in jira.control("issues")["data"] if i["key"] == key)
    assert issue["summary"] == asana.control("task", gid=TASK)["data"]["name"]
    assert created.json()["link"]["target_name"] == "Jira Server"
    card_json = api(member).get(f"/api/v1/cards/{card.pk}").json()
    assert [link["jira_issue_key"] for link in card_json["jira_issues"]] == [key]
    assert [link["key"] for link in card_json["linked_tickets"]] == [key]
