"""Every JiraIssueLink row becomes a cards.TicketLink with nothing lost (issue 11), and the
migrations reverse: rows written before them read the same after them, and back."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("cards", "0002_integration_keys_from_registry"),
          ("integrations", "0002_check_in_background_and_labels")]
AFTER = [("cards", "0004_ticket_link"), ("integrations", "0004_drop_jira_issue_link")]
CREATED = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
BASE_URL = "https://jira.example.com/jira"


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _write_jira_issue_links(old):
    team = old.get_model("approvals", "Team").objects.create(name="Before", plan="business")
    other = old.get_model("approvals", "Team").objects.create(name="Other", plan="business")
    user = old.get_model("auth", "User").objects.create(username="before")
    JiraIssueLink = old.get_model("integrations", "JiraIssueLink")
    JiraIssueLink.objects.create(team=team, base_url=BASE_URL, asana_task_gid="1200000000000001",
                                 jira_issue_key="OPS-7", jira_issue_id="10007", created_by=user)
    JiraIssueLink.objects.create(team=other, base_url="https://jira.other.example",
                                 asana_task_gid="1200000000000001", jira_issue_key="OPS-7")
    # auto_now_add set "now" on insert: give the rows a creation time of their own.
    JiraIssueLink.objects.update(created_at=CREATED)
    return team, other, user


@pytest.mark.django_db(transaction=True)
def test_jira_issue_links_become_ticket_links_and_come_back_on_reverse():
    old = _migrate(BEFORE)
    try:
        team, other, user = _write_jira_issue_links(old)
        new = _migrate(AFTER)
        links = new.get_model("cards", "TicketLink").objects.order_by("team_id")
        assert list(links.values(
            "team_id", "source_provider", "source_external_id", "target_provider",
            "target_site", "target_external_id", "target_internal_id", "target_url",
            "created_by_id", "created_at",
        )) == [
            {"team_id": team.pk, "source_provider": "asana",
             "source_external_id": "1200000000000001", "target_provider": "jira_server",
             "target_site": BASE_URL, "target_external_id": "OPS-7",
             "target_internal_id": "10007", "target_url": f"{BASE_URL}/browse/OPS-7",
             "created_by_id": user.pk, "created_at": CREATED},
            {"team_id": other.pk, "source_provider": "asana",
             "source_external_id": "1200000000000001", "target_provider": "jira_server",
             "target_site": "https://jira.other.example", "target_external_id": "OPS-7",
             "target_internal_id": "", "target_url": "https://jira.other.example/browse/OPS-7",
             "created_by_id": None, "created_at": CREATED},
        ]
        assert "integrations_jiraissuelink" not in connection.introspection.table_names()

        back = _migrate(BEFORE)
        rows = back.get_model("integrations", "JiraIssueLink").objects.order_by("team_id")
        assert list(rows.values_list("team_id", "base_url", "asana_task_gid", "jira_issue_key",
                                     "jira_issue_id", "created_by_id", "created_at")) == [
            (team.pk, BASE_URL, "1200000000000001", "OPS-7", "10007", user.pk, CREATED),
            (other.pk, "https://jira.other.example", "1200000000000001", "OPS-7", "", None,
             CREATED),
        ]
    finally:
        # Back to the latest schema: the tests after this one (and the database flush) expect it.
        latest = MigrationExecutor(connection)
        latest.migrate(latest.loader.graph.leaf_nodes())
