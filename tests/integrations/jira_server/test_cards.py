"""Jira issues as cards through the unified model: import by link, unfurl, the picker."""

import pytest
from rest_framework.test import APIClient

from cards.models import Board, CardWidget, LinkPreview
from tests.integrations.jira_server.conftest import connect_jira

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(team, member):
    return Board.objects.create(team=team, name="Ops", created_by=member)


@pytest.fixture
def api(client, member, jira, jira_installed, linked_connection):
    connect_jira(client, member, jira, jira_user="alice")
    api_client = APIClient(REMOTE_ADDR="127.0.7.1")
    api_client.force_login(member)
    return api_client


def test_a_pasted_issue_link_is_imported_as_a_card(api, board, jira):
    response = api.post(f"/api/v1/boards/{board.pk}/cards/",
                        {"url": f"{jira.base_url}/browse/TEST-1"}, format="json")
    assert response.status_code in (200, 201), response.content
    card = CardWidget.objects.get(board=board)
    assert (card.provider, card.external_id) == ("jira_server", "TEST-1")
    assert card.title == "Set up the staging environment"
    assert (card.status, card.priority) == ("In Progress", "High")
    assert card.url == f"{jira.base_url}/browse/TEST-1"


def test_a_pasted_issue_link_unfurls_with_its_title(api, board, jira):
    response = api.post(f"/api/v1/boards/{board.pk}/unfurls/",
                        {"url": f"{jira.base_url}/browse/TEST-2"}, format="json")
    assert response.status_code in (200, 201), response.content
    preview = LinkPreview.objects.get(board=board)
    assert preview.provider == "jira_server"
    assert preview.title == "Login page shows a blank screen on Safari"


def test_issues_are_imported_by_key(api, board):
    response = api.post(f"/api/v1/boards/{board.pk}/cards/",
                        {"integration": "jira_server", "external_ids": ["TEST-2", "TEST-3"]},
                        format="json")
    assert response.status_code in (200, 201), response.content
    assert set(CardWidget.objects.values_list("external_id", flat=True)) == {"TEST-2", "TEST-3"}


def test_the_picker_browses_the_server_its_projects_and_their_issues(api, jira, team):
    picker = "/api/v1/integrations/jira_server/picker/"
    (workspace,) = api.get(picker).json()["items"]
    assert workspace["id"] == jira.base_url
    projects = api.get(picker, {"workspace": workspace["id"]}).json()["items"]
    assert {p["id"] for p in projects} == {"TEST", "OPS"}
    issues = api.get(picker, {"workspace": workspace["id"], "project": "OPS"}).json()["items"]
    assert [i["id"] for i in issues] == ["OPS-1"]


def imported_card(api, board, jira) -> int:
    response = api.post(f"/api/v1/boards/{board.pk}/cards/",
                        {"url": f"{jira.base_url}/browse/TEST-1"}, format="json")
    return (response.json().get("cards") or [response.json()])[0]["id"]


def test_jira_answering_html_tells_the_user_a_proxy_intercepts_it(api, board, jira):
    card_id = imported_card(api, board, jira)
    jira.control("html_mode", enabled=True)
    response = api.get(f"/api/v1/cards/{card_id}/details")
    error = response.json()["error"]
    assert response.status_code == 502
    assert "HTML page" in error["message"] and "instead of JSON" in error["message"]
    assert "/plugins/servlet/oauth/ and /rest/" in error["message"]


def test_a_replaced_public_key_in_jira_names_signature_invalid(api, board, jira,
                                                                linked_connection):
    from tests.fixtures.jira import generate_rsa_key_pair

    card_id = imported_card(api, board, jira)
    jira.control("applinks", consumer_key=linked_connection.consumer_key, name="Conduit",
                 public_key=generate_rsa_key_pair().public_pem)
    response = api.get(f"/api/v1/cards/{card_id}/details")
    message = response.json()["error"]["message"]
    assert response.status_code == 502
    assert "oauth_problem=signature_invalid" in message
    assert "Public Key in Jira's Application Link" in message


def test_a_token_revoked_in_jira_asks_the_user_to_reconnect(api, board, jira, member):
    from tokens.models import ConnectedAccount

    card_id = imported_card(api, board, jira)
    account = ConnectedAccount.objects.get(user=member, integration="jira_server")
    jira.control("token_revoke", access_token=account.access_token)
    response = api.get(f"/api/v1/cards/{card_id}/details")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "needs_reconnect"
    assert "Reconnect Jira Server" in response.json()["error"]["message"]
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.NEEDS_RECONNECT


def test_a_link_to_another_jira_server_is_not_a_link_the_team_can_fetch(api, board):
    from cards import errors

    response = api.post(f"/api/v1/boards/{board.pk}/unfurls/",
                        {"url": "https://jira.elsewhere.example/browse/TEST-1"}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["message"] == errors.UNKNOWN_LINK
    assert not LinkPreview.objects.filter(board=board).exists()
