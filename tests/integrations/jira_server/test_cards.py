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
