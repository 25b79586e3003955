"""Jira webhooks: registered per connection with a Jira admin's token, delivered by the real
simulator to a live Conduit at cards' one webhook path, verified by the secret in the URL,
updating the team's cards. The URL registered before one webhook path keeps working."""

import time

import pytest

from cards.models import Board, CardWidget, WebhookSubscription
from integrations.jira_server import errors, services, webhooks
from integrations.jira_server.webhook_routes import webhook_route_publish
from integrations.models import JiraServerConnection
from tests.integrations.jira_server.conftest import connect_jira


def delivery_path(connection, secret: str | None = None) -> str:
    """The one webhook path: the connection's id is its subscription's, the secret after it."""
    return f"/webhooks/jira_server/{connection.pk}.{secret or connection.webhook_secret}"


def legacy_path(connection, secret: str | None = None) -> str:
    """The form registered before one webhook path (deprecated, still accepted)."""
    return f"/webhooks/jira/{webhooks.hook_id(connection.pk, secret or connection.webhook_secret)}"


@pytest.fixture
def routed(connection):
    """The connection's webhook route, as registering the webhook publishes it."""
    webhook_route_publish(connection=connection)
    return connection


def jira_card(team, key: str = "TEST-1", **fields) -> CardWidget:
    board = Board.objects.create(team=team, name="Ops board")
    values = {"url": f"https://jira.example/browse/{key}", "title": "Old title", **fields}
    return CardWidget.objects.create(board=board, provider="jira_server",
                                     external_id=key, **values)


def wait_for(predicate, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.django_db(transaction=True)
def test_an_issue_changed_in_jira_updates_the_team_s_cards(client, admin, jira, jira_installed,
                                                          linked_connection, live_server):
    connect_jira(client, admin, jira, jira_user="admin")
    connection = services.webhook_register(connection=linked_connection, acting_user=admin,
                                           base=live_server.url)
    assert connection.webhook_id and connection.webhook_registered_at
    card = jira_card(connection.team)
    jira.control("issue_change", issue="TEST-1", user="alice",
                 fields={"summary": "Staging on 5 nodes"}, status="Done")
    wait_for(lambda: CardWidget.objects.get(pk=card.pk).title == "Staging on 5 nodes")
    card.refresh_from_db()
    assert card.status == "Done" and card.synced_at is not None
    (delivery,) = jira.control("webhook_deliveries")["data"]
    assert delivery["status"] == 200
    assert delivery["url"] == f"{live_server.url}{delivery_path(connection)}"
    route = WebhookSubscription.objects.get(pk=connection.pk)
    assert (route.integration, route.team, route.subscribed_by) == ("jira_server",
                                                                    connection.team, None)
    assert route.secret == connection.webhook_secret and route.last_delivery_at is not None


def test_registering_the_webhook_needs_a_jira_administrator(client, admin, jira,
                                                            jira_installed, linked_connection):
    connect_jira(client, admin, jira, jira_user="alice")  # alice is no Jira administrator
    with pytest.raises(errors.WebhookNotRegistered) as refused:
        services.webhook_register(connection=linked_connection, acting_user=admin,
                                  base="http://testserver")
    assert "only a Jira administrator can" in refused.value.message


def test_registering_the_webhook_needs_the_admin_s_own_jira_account(admin, jira, jira_installed,
                                                                    linked_connection):
    with pytest.raises(errors.WebhookNotRegistered) as refused:
        services.webhook_register(connection=linked_connection, acting_user=admin,
                                  base="http://testserver")
    assert refused.value.message == errors.WEBHOOK_NEEDS_ACCOUNT


def issue_body(key: str = "TEST-1", summary: str = "Forged") -> dict:
    return {"webhookEvent": "jira:issue_updated",
            "issue": {"id": "10000", "key": key, "fields": {"summary": summary,
                                                             "status": {"name": "Done"}}}}


@pytest.mark.django_db
@pytest.mark.parametrize("path_of", [delivery_path, legacy_path],
                         ids=["the one webhook path", "the url registered before it"])
def test_a_delivery_with_the_right_secret_is_applied(client, routed, path_of):
    card = jira_card(routed.team)
    response = client.post(path_of(routed), issue_body(summary="From Jira"),
                           content_type="application/json")
    assert response.status_code == 200 and response.json() == {"cards_updated": 1}
    card.refresh_from_db()
    assert card.title == "From Jira"


@pytest.mark.django_db
def test_a_forged_delivery_is_refused_and_changes_nothing(client, routed):
    card = jira_card(routed.team)
    wrong = webhooks.secret_generate()
    unknown = JiraServerConnection(webhook_secret=routed.webhook_secret)
    for path in (delivery_path(routed, wrong), legacy_path(routed, wrong),
                 delivery_path(unknown), legacy_path(unknown),
                 f"/webhooks/jira_server/{routed.pk}",  # no secret at all
                 "/webhooks/jira/not-an-id"):
        response = client.post(path, issue_body(), content_type="application/json")
        assert response.status_code == 404, path
    card.refresh_from_db()
    assert card.title == "Old title"


@pytest.mark.django_db
def test_a_removed_connection_s_deliveries_are_refused(client, routed, admin):
    card = jira_card(routed.team)
    path = delivery_path(routed)
    services.connection_delete(connection=routed, acting_user=admin)
    assert not WebhookSubscription.objects.filter(pk=routed.pk).exists()
    assert client.post(path, issue_body(), content_type="application/json").status_code == 404
    card.refresh_from_db()
    assert card.title == "Old title"


@pytest.mark.django_db
def test_a_delivery_updates_only_the_connection_s_team(client, routed):
    from tests.factories import make_team

    other = jira_card(make_team("Globex"))
    client.post(delivery_path(routed), issue_body(summary="Acme only"),
                content_type="application/json")
    other.refresh_from_db()
    assert other.title == "Old title"


@pytest.mark.django_db
def test_a_deleted_issue_marks_its_cards(client, routed):
    card = jira_card(routed.team)
    client.post(delivery_path(routed),
                {"webhookEvent": "jira:issue_deleted", "issue": {"key": "TEST-1"}},
                content_type="application/json")
    card.refresh_from_db()
    assert "deleted" in card.sync_error


@pytest.fixture
def recorded_comparisons(monkeypatch):
    """hmac.compare_digest, as the webhook module reaches it, recording its arguments: what the
    delivery path actually compares with, not what a helper might do when called directly."""
    calls: list[tuple[bytes, bytes]] = []
    real = webhooks.hmac.compare_digest

    def recording(expected, given):
        calls.append((expected, given))
        return real(expected, given)

    monkeypatch.setattr(webhooks.hmac, "compare_digest", recording)
    return calls


@pytest.mark.django_db
def test_the_delivery_secret_is_compared_in_constant_time(client, routed,
                                                         recorded_comparisons):
    stored = routed.webhook_secret
    forged = "x" * len(stored)
    refused = client.post(delivery_path(routed, forged), issue_body(),
                          content_type="application/json")
    assert refused.status_code == 404
    accepted = client.post(delivery_path(routed, stored), issue_body(),
                           content_type="application/json")
    assert accepted.status_code == 200
    secret_comparisons = [call for call in recorded_comparisons if call[0] == stored.encode()]
    assert secret_comparisons == [(stored.encode(), forged.encode()),
                                  (stored.encode(), stored.encode())]


def test_an_empty_stored_secret_never_matches_and_is_not_compared(recorded_comparisons):
    assert not webhooks.secret_matches(None, "")
    assert not webhooks.secret_matches("", "")
    assert recorded_comparisons == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", [delivery_path, legacy_path])
def test_a_refused_delivery_is_logged_without_the_secret(client, routed, caplog, path):
    with caplog.at_level("INFO"):
        response = client.post(path(routed), b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert "body is not JSON" in caplog.text
    assert routed.webhook_secret not in caplog.text


@pytest.mark.django_db
def test_the_webhook_route_belongs_to_the_team_not_to_the_admin_who_set_it_up(
        client, routed, admin, django_capture_on_commit_callbacks):
    from approvals import services as approvals_services
    from approvals.models import Membership
    from tests.factories import make_admin

    card = jira_card(routed.team)
    other_admin = make_admin(routed.team, "second-admin")
    with django_capture_on_commit_callbacks(execute=True):
        approvals_services.membership_delete(
            membership=Membership.objects.get(user=admin, team=routed.team),
            acting_user=other_admin)
    assert WebhookSubscription.objects.filter(pk=routed.pk, subscribed_by=None).exists()
    response = client.post(delivery_path(routed), issue_body(summary="Still delivered"),
                           content_type="application/json")
    assert response.status_code == 200
    card.refresh_from_db()
    assert card.title == "Still delivered"
