"""A Jira delivery with the right secret but a body nested too deeply answers 400 (json.loads
raised RecursionError, a 500)."""

from __future__ import annotations

import pytest
from django.test import Client

from integrations.jira_server.webhook_routes import webhook_route_publish

DEEP = ("[" * 100_000 + "]" * 100_000).encode()


@pytest.mark.django_db
def test_a_deeply_nested_jira_delivery_is_a_400(connection):
    webhook_route_publish(connection=connection)
    response = Client(raise_request_exception=False).post(
        f"/webhooks/jira_server/{connection.pk}.{connection.webhook_secret}", DEEP,
        content_type="application/json")
    assert response.status_code == 400, response.status_code
