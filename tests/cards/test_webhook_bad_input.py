"""Bad input to the one webhook path answers a 4xx error envelope, never a 500: a signed Asana
delivery nested too deeply (json.loads raised RecursionError), a body over the limit, a
provider that is unknown or receives no webhooks, another method than POST."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from cards.models import CardWidget, WebhookSubscription
from cards.webhook_views import MAX_BODY_BYTES, UNKNOWN_SUBSCRIPTION
from integrations.asana.webhooks import BAD_BODY, signature_of

pytestmark = pytest.mark.django_db

DEEP = ("[" * 100_000 + "]" * 100_000).encode()


def test_a_signed_but_deeply_nested_asana_delivery_is_a_400(team, member):
    subscription = WebhookSubscription.objects.create(
        team=team, integration="asana", container_id="1", subscribed_by=member,
        status=WebhookSubscription.Status.ACTIVE, secret="s" * 32,
    )
    response = Client(raise_request_exception=False).post(
        f"/webhooks/asana/{subscription.pk}", DEEP, content_type="application/json",
        headers={"X-Hook-Signature": signature_of("s" * 32, DEEP)},
    )
    assert response.status_code == 400, response.status_code
    assert response.json()["error"]["message"] == BAD_BODY


def _asana_subscription(team, member, secret: str = "s" * 32) -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        team=team, integration="asana", container_id="1", subscribed_by=member,
        status=WebhookSubscription.Status.ACTIVE, secret=secret,
    )


def test_a_body_over_the_limit_is_a_413_and_changes_nothing(team, member):
    subscription = _asana_subscription(team, member)
    body = b"{" + b" " * MAX_BODY_BYTES + b"}"
    response = Client(raise_request_exception=False).post(
        f"/webhooks/asana/{subscription.pk}", body, content_type="application/json",
        headers={"X-Hook-Signature": signature_of("s" * 32, body)},
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    subscription.refresh_from_db()
    assert subscription.last_delivery_at is None


def test_an_unknown_provider_or_one_without_a_receiver_is_a_404(team, member, settings):
    settings.CONDUIT_PROVIDERS = [*settings.CONDUIT_PROVIDERS, "tests.providers.minimal"]
    subscription = _asana_subscription(team, member)
    client = Client(raise_request_exception=False)
    for provider in ("nosuchtool", "minimal", "jira_server"):  # jira_server: not its row
        response = client.post(f"/webhooks/{provider}/{subscription.pk}", b"{}",
                               content_type="application/json")
        assert response.status_code == 404, provider
        assert response.json()["error"]["message"] == UNKNOWN_SUBSCRIPTION


def test_a_webhook_path_answers_only_post(team, member):
    subscription = _asana_subscription(team, member)
    response = Client(raise_request_exception=False).get(f"/webhooks/asana/{subscription.pk}")
    assert response.status_code == 405


def test_an_asana_delivery_that_removes_a_task_from_a_project_leaves_its_card(team, member,
                                                                                board):
    subscription = _asana_subscription(team, member)
    card = CardWidget.objects.create(board=board, provider="asana", external_id="7",
                                     url="https://app.asana.com/0/0/7", title="Kept")
    body = json.dumps({"events": [
        {"action": "removed", "resource": {"gid": "7", "resource_type": "task"},
         "parent": {"gid": "9", "resource_type": "project"}},
    ]}).encode()
    response = Client().post(f"/webhooks/asana/{subscription.pk}", body,
                             content_type="application/json",
                             headers={"X-Hook-Signature": signature_of("s" * 32, body)})
    assert response.status_code == 200 and response.json() == {"cards_updated": 0}
    card.refresh_from_db()
    assert card.sync_error == ""
    deleted = body.replace(b'"removed"', b'"deleted"')
    response = Client().post(f"/webhooks/asana/{subscription.pk}", deleted,
                             content_type="application/json",
                             headers={"X-Hook-Signature": signature_of("s" * 32, deleted)})
    assert response.json() == {"cards_updated": 1}
    card.refresh_from_db()
    assert "deleted" in card.sync_error
