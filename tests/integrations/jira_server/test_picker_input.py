"""Bad input to the Jira picker: a cursor that is not a page offset answers 400 in the error
envelope (never a 500), and the `project` reaches Jira's JQL as one quoted string literal, as
`q` does, so it cannot add JQL of its own."""

import pytest
from rest_framework.test import APIClient

from integrations.jira_server.errors import CURSOR_INVALID
from tests.integrations.jira_server.conftest import connect_jira

pytestmark = pytest.mark.django_db

PICKER = "/api/v1/integrations/jira_server/picker/"


@pytest.fixture
def api(client, member, jira, jira_installed, linked_connection):
    connect_jira(client, member, jira, jira_user="alice")
    api_client = APIClient(REMOTE_ADDR="127.0.7.3")
    api_client.force_login(member)
    return api_client


@pytest.mark.parametrize("cursor", ["abc", "-1", "1.5", "\u00b2", "1e3", "9" * 40])
def test_a_cursor_that_is_not_an_offset_answers_400_in_the_envelope(api, jira, cursor):
    response = api.get(PICKER, {"workspace": jira.base_url, "project": "TEST",
                                "cursor": cursor})
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"] == {"code": "invalid_cursor", "message": CURSOR_INVALID,
                                        "detail": {}}


def test_a_numeric_cursor_reads_the_page_from_that_offset(api, jira):
    response = api.get(PICKER, {"workspace": jira.base_url, "project": "TEST", "cursor": "1"})
    assert response.status_code == 200, response.content[:300]
    assert [item["id"] for item in response.json()["items"]] == ["TEST-2", "TEST-3"]


@pytest.mark.parametrize(
    ("project", "literal"),
    [
        ('TEST" OR project = "OPS', r'"TEST\" OR project = \"OPS"'),
        ("TEST\\", r'"TEST\\"'),
    ],
)
def test_the_project_reaches_jql_as_one_quoted_literal(api, jira, project, literal):
    jira.clear_requests()
    response = api.get(PICKER, {"workspace": jira.base_url, "project": project})
    assert 400 <= response.status_code < 500, response.content[:300]
    assert "error" in response.json()
    (search,) = jira.requests("/rest/api/2/search")
    assert search["query"]["jql"].startswith(f"project = {literal} ORDER BY")
