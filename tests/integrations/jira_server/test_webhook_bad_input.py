"""A Jira delivery with the right secret but a body nested too deeply answers 400 (json.loads
raised RecursionError, a 500)."""

from __future__ import annotations

import pytest
from django.test import Client

from integrations.jira_server import webhooks

DEEP = ("[" * 100_000 + "]" * 100_000).encode()


@pytest.mark.django_db
def test_a_deeply_nested_jira_delivery_is_a_400(connection):
    hook = webhooks.hook_id(connection.pk, connection.webhook_secret)
    response = Client(raise_request_exception=False).post(
        f"/webhooks/jira/{hook}", DEEP, content_type="application/json")
    assert response.status_code == 400, response.status_code
