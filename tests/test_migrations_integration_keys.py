"""Integration keys left the DB `choices` (issue 11) without touching a row.

The three `integration_keys_from_registry` migrations only drop `choices`, which Django keeps in
Python: they emit no SQL, and rows written before them read the same after them.
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("approvals", "0002_personal_settings"), ("tokens", "0003_refresh_attempt_started_at"),
          ("cards", "0001_initial")]
AFTER = [("approvals", "0003_integration_keys_from_registry"),
         ("tokens", "0004_integration_keys_from_registry"),
         ("cards", "0002_integration_keys_from_registry")]


@pytest.mark.django_db
@pytest.mark.parametrize(("app", "name"), AFTER)
def test_dropping_choices_emits_no_sql(app, name, capsys):
    call_command("sqlmigrate", app, name)
    statements = [line for line in capsys.readouterr().out.splitlines()
                  if line.strip() and not line.startswith("--")
                  and line.strip() not in ("BEGIN;", "COMMIT;")]
    assert statements == []


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_migrations_survive_them():
    old = _migrate(BEFORE)
    try:
        team = old.get_model("approvals", "Team").objects.create(name="Before", plan="business")
        user = old.get_model("auth", "User").objects.create(username="before")
        old.get_model("approvals", "Installation").objects.create(team=team, integration="asana")
        old.get_model("approvals", "InstallRequest").objects.create(
            team=team, integration="jira_server", requested_by=user)
        board = old.get_model("cards", "Board").objects.create(team=team, name="B")
        old.get_model("cards", "CardWidget").objects.create(
            board=board, provider="jira_server", external_id="TEST-1", title="Kept")
    finally:
        new = _migrate(AFTER)
    try:
        assert list(new.get_model("approvals", "Installation").objects.values_list(
            "integration", flat=True)) == ["asana"]
        assert list(new.get_model("approvals", "InstallRequest").objects.values_list(
            "integration", flat=True)) == ["jira_server"]
        assert list(new.get_model("cards", "CardWidget").objects.values_list(
            "provider", "external_id", "title")) == [("jira_server", "TEST-1", "Kept")]
    finally:
        # Back to the latest schema: the tests after this one (and the database flush) expect it.
        latest = MigrationExecutor(connection)
        latest.migrate(latest.loader.graph.leaf_nodes())
