"""Asana simulator webhooks: the X-Hook-Secret handshake and signed deliveries, to a real receiver."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
import requests

from integrations.sandbox.asana import errors, seed
from tests.integrations.sandbox.asana_webhook_receiver import WebhookReceiver

TASK = str(int(seed.WEBSITE_TASK_FIRST) + 5)


@pytest.fixture(scope="module")
def headers(asana_sandbox) -> dict[str, str]:
    token = asana_sandbox.control("issue_token", user=seed.ADA)["access_token"]
    return {"Authorization": f"Bearer {token}"}


def create_webhook(sandbox, headers, resource: str, target: str) -> requests.Response:
    return requests.post(
        sandbox.url("/api/1.0/webhooks"),
        json={"data": {"resource": resource, "target": target}},
        headers=headers,
        timeout=15,
    )


def events_of(sandbox, receiver: WebhookReceiver) -> list[dict]:
    sandbox.control("webhooks", wait=True)
    events = []
    for delivery in receiver.deliveries:
        expected = hmac.new(receiver.secret.encode(), delivery["body"], hashlib.sha256).hexdigest()
        assert hmac.compare_digest(delivery["signature"], expected)
        events += json.loads(delivery["body"])["events"]
    return events


def test_webhook_is_created_only_after_the_target_echoes_the_secret(asana_sandbox, headers):
    with WebhookReceiver() as receiver:
        answer = create_webhook(asana_sandbox, headers, seed.WEBSITE_PROJECT, receiver.url)
        assert answer.status_code == 201, answer.text
        assert receiver.secret and len(receiver.secret) == 64
        data = answer.json()["data"]
        assert data["active"] is True
        assert data["resource"]["gid"] == seed.WEBSITE_PROJECT
        assert data["target"] == receiver.url
        requests.delete(
            asana_sandbox.url(f"/api/1.0/webhooks/{data['gid']}"), headers=headers, timeout=5
        )


def test_webhook_is_refused_when_the_target_does_not_echo_the_secret(asana_sandbox, headers):
    with WebhookReceiver(echo_secret=False) as receiver:
        answer = create_webhook(asana_sandbox, headers, seed.WEBSITE_PROJECT, receiver.url)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["message"] == errors.WEBHOOK_HANDSHAKE_FAILED
    listed = requests.get(
        asana_sandbox.url("/api/1.0/webhooks"),
        params={"workspace": seed.ACME_WORKSPACE, "resource": seed.WEBSITE_PROJECT},
        headers=headers,
        timeout=5,
    )
    assert all(hook["target"] != receiver.url for hook in listed.json()["data"])


def test_webhook_target_off_this_machine_is_refused(asana_sandbox, headers):
    answer = create_webhook(asana_sandbox, headers, TASK, "https://hooks.example.com/asana")
    assert answer.status_code == 403


def test_task_change_through_the_api_is_delivered_signed(asana_sandbox, headers):
    with WebhookReceiver() as receiver:
        hook = create_webhook(asana_sandbox, headers, seed.WEBSITE_PROJECT, receiver.url).json()
        answer = requests.put(
            asana_sandbox.url(f"/api/1.0/tasks/{TASK}"),
            json={"data": {"name": "Renamed through the API"}},
            headers=headers,
            timeout=5,
        )
        assert answer.status_code == 200
        events = events_of(asana_sandbox, receiver)
        requests.delete(
            asana_sandbox.url(f"/api/1.0/webhooks/{hook['data']['gid']}"),
            headers=headers,
            timeout=5,
        )
    assert [(e["action"], e["resource"]["gid"], e["change"]["field"]) for e in events] == [
        ("changed", TASK, "name")
    ]
    assert events[0]["user"] == {"gid": seed.ADA, "resource_type": "user"}


def test_task_change_behind_conduits_back_is_delivered(asana_sandbox, headers):
    with WebhookReceiver() as receiver:
        hook = create_webhook(asana_sandbox, headers, TASK, receiver.url).json()
        changed = asana_sandbox.control(
            "change_task",
            gid=TASK,
            user=seed.ALAN,
            changes={"name": "Renamed in Asana", "completed": True},
        )
        assert sorted(changed["changed"]) == ["completed", "name"]
        events = events_of(asana_sandbox, receiver)
        requests.delete(
            asana_sandbox.url(f"/api/1.0/webhooks/{hook['data']['gid']}"),
            headers=headers,
            timeout=5,
        )
    assert sorted(e["change"]["field"] for e in events) == ["completed", "name"]
    assert {e["user"]["gid"] for e in events} == {seed.ALAN}
    assert asana_sandbox.control("task", gid=TASK)["data"]["name"] == "Renamed in Asana"


def test_deleted_webhook_receives_nothing(asana_sandbox, headers):
    with WebhookReceiver() as receiver:
        hook = create_webhook(asana_sandbox, headers, TASK, receiver.url).json()["data"]
        deleted = requests.delete(
            asana_sandbox.url(f"/api/1.0/webhooks/{hook['gid']}"), headers=headers, timeout=5
        )
        assert deleted.json() == {"data": {}}
        asana_sandbox.control("change_task", gid=TASK, changes={"notes": "Nobody is told"})
        assert events_of(asana_sandbox, receiver) == []
