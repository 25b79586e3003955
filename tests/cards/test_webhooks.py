"""Asana webhooks keep cards fresh: the X-Hook-Secret handshake against the simulator, a task
renamed in Asana renames its card, and a forged delivery is refused and changes nothing.

Conduit runs in pytest-django's live server so the simulator can reach it over real HTTP.
"""

from __future__ import annotations

import json

import pytest
import requests

from cards.models import CardWidget, WebhookSubscription
from integrations.asana.webhooks import BAD_SIGNATURE, signature_of
from integrations.sandbox.asana.seed import WEBSITE_PROJECT, WEBSITE_TASK_FIRST
from tests.cards.conftest import api_client, connect_asana

pytestmark = pytest.mark.django_db(transaction=True)

SECOND_TASK = str(int(WEBSITE_TASK_FIRST) + 1)


@pytest.fixture
def watched(sandbox, settings, live_server, team, member, board, installed):
    """Two Website tasks imported on the board, which subscribes to the project's webhook."""
    settings.CONDUIT_PUBLIC_URL = live_server.url
    connect_asana(sandbox, user=member, team=team)
    response = api_client(member).post(
        f"/api/v1/boards/{board.pk}/cards/",
        {"integration": "asana", "external_ids": [WEBSITE_TASK_FIRST, SECOND_TASK],
         "container": WEBSITE_PROJECT},
        format="json",
    )
    assert response.status_code == 201, response.content[:300]
    return WebhookSubscription.objects.get(team=team, container_id=WEBSITE_PROJECT)


def _delivery_url(live_server, subscription) -> str:
    return f"{live_server.url}/webhooks/asana/{subscription.pk}"


def test_importing_a_project_subscribes_and_completes_the_handshake(sandbox, watched,
                                                                    live_server):
    assert watched.status == WebhookSubscription.Status.ACTIVE
    assert watched.secret  # stored from the handshake, encrypted at rest
    hooks = sandbox.control("webhooks")["data"]
    (hook,) = [hook for hook in hooks if hook["resource"]["gid"] == WEBSITE_PROJECT]
    assert hook["gid"] == watched.provider_webhook_id
    assert hook["target"] == _delivery_url(live_server, watched)
    raw = WebhookSubscription.objects.filter(pk=watched.pk).values_list("secret", flat=True)
    assert str(raw[0]) != watched.secret


def test_a_task_renamed_in_asana_renames_its_card(sandbox, watched, board):
    sandbox.control("change_task", gid=WEBSITE_TASK_FIRST, changes={"name": "Homepage copy v2"})
    deliveries = sandbox.control("webhooks", wait=True)["deliveries"]
    assert deliveries and all(delivery["status"] == 200 for delivery in deliveries)
    card = CardWidget.objects.get(board=board, external_id=WEBSITE_TASK_FIRST)
    assert card.title == "Homepage copy v2"
    assert card.sync_error == ""
    other = CardWidget.objects.get(board=board, external_id=SECOND_TASK)
    assert other.title == "Design new navigation"


def test_a_forged_delivery_is_refused_and_changes_nothing(sandbox, watched, board,
                                                          live_server):
    body = json.dumps({"events": [{
        "action": "changed", "resource": {"gid": WEBSITE_TASK_FIRST, "resource_type": "task"},
    }]}).encode()
    sandbox.clear_requests()
    forged = requests.post(
        _delivery_url(live_server, watched), data=body, timeout=10,
        headers={"Content-Type": "application/json",
                 "X-Hook-Signature": signature_of("not-the-secret", body)},
    )
    assert forged.status_code == 401
    assert forged.json()["error"]["message"] == BAD_SIGNATURE
    unsigned = requests.post(_delivery_url(live_server, watched), data=body, timeout=10)
    assert unsigned.status_code == 401
    assert sandbox.requests("/api/1.0/tasks") == []  # nothing was fetched
    card = CardWidget.objects.get(board=board, external_id=WEBSITE_TASK_FIRST)
    assert card.title == "Draft homepage copy"


def test_a_second_handshake_cannot_replace_the_secret(sandbox, watched, live_server):
    secret = watched.secret
    answer = requests.post(_delivery_url(live_server, watched), timeout=10,
                           headers={"X-Hook-Secret": "attacker-chosen"})
    assert answer.status_code == 403
    assert "X-Hook-Secret" not in answer.headers
    watched.refresh_from_db()
    assert watched.secret == secret


def test_a_delivery_signed_with_the_handshake_secret_is_accepted(sandbox, watched,
                                                                  live_server):
    body = json.dumps({"events": []}).encode()
    answer = requests.post(
        _delivery_url(live_server, watched), data=body, timeout=10,
        headers={"X-Hook-Signature": signature_of(watched.secret, body)},
    )
    assert answer.status_code == 200


def test_deliveries_to_an_unknown_subscription_are_not_found(live_server, db):
    answer = requests.post(
        f"{live_server.url}/webhooks/asana/00000000-0000-0000-0000-000000000001",
        data=b"{}", timeout=10, headers={"X-Hook-Secret": "x"},
    )
    assert answer.status_code == 404
