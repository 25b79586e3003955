"""Importing from a Jira project's listing while someone changes its issues: Jira runs the JQL
afresh for every page, so an issue edited or deleted between two page reads moves within the
result. No wanted issue that exists may be reported missing ("not found, or no access")."""

import pytest
from rest_framework.test import APIClient

from cards.models import Board, CardWidget
from tests.integrations.jira_server.conftest import connect_jira

pytestmark = pytest.mark.django_db

WANTED = ["TEST-1", "TEST-2", "TEST-3"]


@pytest.fixture
def board(team, member):
    return Board.objects.create(team=team, name="Ops", created_by=member)


@pytest.fixture
def api(client, member, jira, jira_installed, linked_connection, settings):
    settings.CARDS_IMPORT_PAGE_SIZE = 1  # one issue per page: three page reads for TEST
    connect_jira(client, member, jira, jira_user="alice")
    api_client = APIClient(REMOTE_ADDR="127.0.7.2")
    api_client.force_login(member)
    return api_client


def _import(api, board):
    response = api.post(f"/api/v1/boards/{board.pk}/cards/",
                        {"integration": "jira_server", "external_ids": WANTED,
                         "container": "TEST"}, format="json")
    assert response.status_code in (200, 201), response.content[:300]
    return response.json()


def test_an_issue_edited_between_page_reads_is_still_imported(api, board, jira):
    # TEST-1 is the least recently updated issue of the seed: edited after the first page, it
    # would jump to the front of an `updated DESC` listing, onto the page already read.
    jira.control("search_edit", after_start_at=0, issue="TEST-1",
                 fields={"summary": "Set up the staging environment (edited)"})
    body = _import(api, board)
    assert body["missing"] == []
    assert set(CardWidget.objects.filter(board=board).values_list("external_id", flat=True)) == \
        set(WANTED)
    searches = jira.requests("/rest/api/2/search")
    assert len(searches) <= len(WANTED) + 1  # pages, and at most one direct fetch


def test_an_issue_shifted_by_a_deletion_between_page_reads_is_fetched_directly(api, board,
                                                                               jira):
    # Deleting the first issue after the first page shifts every later one back by one: the
    # issue that was second is never on a page read, and is fetched by key before being
    # called missing. The deleted issue itself is rightly missing.
    jira.control("search_edit", after_start_at=0, issue="TEST-1", delete=True)
    body = _import(api, board)
    assert body["missing"] == []  # TEST-1 was read before it was deleted
    assert set(CardWidget.objects.filter(board=board).values_list("external_id", flat=True)) == \
        set(WANTED)
    direct = [entry for entry in jira.requests("/rest/api/2/search")
              if entry["query"].get("jql", "").lower().startswith("key in")]
    assert len(direct) == 1


def test_an_issue_that_does_not_exist_is_reported_missing_after_one_direct_fetch(api, board,
                                                                                 jira):
    response = api.post(f"/api/v1/boards/{board.pk}/cards/",
                        {"integration": "jira_server", "external_ids": ["TEST-2", "TEST-99"],
                         "container": "TEST"}, format="json")
    assert response.status_code in (200, 201), response.content[:300]
    assert response.json()["missing"] == ["TEST-99"]
    assert list(CardWidget.objects.values_list("external_id", flat=True)) == ["TEST-2"]
