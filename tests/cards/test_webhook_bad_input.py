"""A signed Asana delivery whose body is nested too deeply answers 400 in the error envelope
(json.loads raised RecursionError, a 500); a Jira delivery with the right secret likewise."""

from __future__ import annotations

import pytest
from django.test import Client

from cards.models import WebhookSubscription
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
