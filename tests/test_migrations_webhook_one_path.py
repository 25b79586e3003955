"""One webhook path (issue 11) keeps the subscriptions that existed before it working.

A Jira Server connection written before integrations 0003 gets its route (a
cards.WebhookSubscription with the connection's id and secret), and Jira's deliveries to the URL
it was registered with, /webhooks/jira/<id hex>.<secret>, still update the team's cards; an Asana
subscription written before keeps its row and its URL.
"""

import uuid

import pytest
from django.db import connection as db_connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from cards.models import CardWidget, WebhookSubscription
from integrations.jira_server import keys

BEFORE = [("integrations", "0002_check_in_background_and_labels"),
          ("cards", "0002_integration_keys_from_registry")]
AFTER = [("integrations", "0003_webhook_one_path"), ("cards", "0003_webhook_one_path")]
SECRET = "s3cr3t-registered-before-the-upgrade-000000"


def _migrate(targets):
    executor = MigrationExecutor(db_connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _issue_update(summary: str) -> dict:
    return {"webhookEvent": "jira:issue_updated",
            "issue": {"id": "10000", "key": "TEST-1", "fields": {"summary": summary}}}


@pytest.mark.django_db(transaction=True)
def test_subscriptions_written_before_the_migration_keep_working_after_it():
    connection_id, asana_id = uuid.uuid4(), uuid.uuid4()
    old = _migrate(BEFORE)
    try:
        team = old.get_model("approvals", "Team").objects.create(name="Before", plan="business")
        user = old.get_model("auth", "User").objects.create(username="before")
        pair = keys.key_pair_generate()
        jira = old.get_model("integrations", "JiraServerConnection")(
            id=connection_id, team=team, base_url="https://jira.before.example",
            consumer_key="conduit-before", public_key_pem=pair.public_pem, webhook_id="7",
        )
        jira.private_key_pem = pair.private_pem
        jira.webhook_secret = SECRET
        jira.save()
        asana = old.get_model("cards", "WebhookSubscription")(
            id=asana_id, team=team, integration="asana", container_id="1200", status="active",
            subscribed_by=user,
        )
        asana.secret = "asana-handshake-secret"
        asana.save()
        board = old.get_model("cards", "Board").objects.create(team=team, name="B")
        old.get_model("cards", "CardWidget").objects.create(
            board=board, provider="jira_server", external_id="TEST-1", title="Before")
    finally:
        _migrate(AFTER)
    try:
        latest = MigrationExecutor(db_connection)
        latest.migrate(latest.loader.graph.leaf_nodes())
        route = WebhookSubscription.objects.get(pk=connection_id)
        assert (route.integration, route.container_id, route.status, route.subscribed_by) == (
            "jira_server", str(connection_id), "active", None)
        assert route.secret == SECRET and route.provider_webhook_id == "7"
        kept = WebhookSubscription.objects.get(pk=asana_id)
        assert (kept.integration, kept.secret) == ("asana", "asana-handshake-secret")

        client = Client()
        old_url = f"/webhooks/jira/{connection_id.hex}.{SECRET}"
        answer = client.post(old_url, _issue_update("Through the old URL"),
                             content_type="application/json")
        assert answer.status_code == 200 and answer.json() == {"cards_updated": 1}
        assert CardWidget.objects.get(external_id="TEST-1").title == "Through the old URL"
        new_url = f"/webhooks/jira_server/{connection_id}.{SECRET}"
        answer = client.post(new_url, _issue_update("Through the new URL"),
                             content_type="application/json")
        assert answer.status_code == 200 and answer.json() == {"cards_updated": 1}
        assert CardWidget.objects.get(external_id="TEST-1").title == "Through the new URL"
    finally:
        # Back to the latest schema: the tests after this one (and the database flush) expect it.
        latest = MigrationExecutor(db_connection)
        latest.migrate(latest.loader.graph.leaf_nodes())
