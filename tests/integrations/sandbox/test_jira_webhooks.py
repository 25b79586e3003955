"""Jira simulator webhooks: registration as Jira Server does it, and deliveries over real HTTP."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.fixtures.jira import jira_auth

WEBHOOKS = "/rest/webhooks/1.0/webhook"


class Receiver:
    """A loopback HTTP server that queues every POST it receives."""

    def __init__(self) -> None:
        self.received: queue.Queue[tuple[str, dict]] = queue.Queue()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                received.put((self.path, json.loads(body) if body else {}))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def next(self, timeout: float = 5) -> tuple[str, dict]:
        return self.received.get(timeout=timeout)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def admin_auth(jira_consumer, jira_admin_token):
    return jira_auth(jira_consumer, jira_admin_token)


def register(jira_sandbox, auth, url: str, events: list[str], jql: str = "") -> requests.Response:
    return requests.post(
        f"{jira_sandbox.base_url}{WEBHOOKS}",
        json={
            "name": "Conduit",
            "url": url,
            "events": events,
            "filters": {"issue-related-events-section": jql},
            "excludeBody": False,
        },
        auth=auth,
        timeout=5,
    )


def test_registered_webhook_is_listed_and_can_be_deleted(jira_sandbox, admin_auth, receiver):
    created = register(
        jira_sandbox, admin_auth, receiver.url, ["jira:issue_updated"], "project = TEST"
    )

    listed = requests.get(f"{jira_sandbox.base_url}{WEBHOOKS}", auth=admin_auth, timeout=5).json()
    deleted = requests.delete(created.json()["self"], auth=admin_auth, timeout=5)
    after = requests.get(created.json()["self"], auth=admin_auth, timeout=5)

    assert created.status_code == 201
    assert created.json()["filters"] == {"issue-related-events-section": "project = TEST"}
    assert [hook["name"] for hook in listed] == ["Conduit"]
    assert deleted.status_code == 204
    assert after.status_code == 404


def test_change_behind_conduits_back_is_delivered_as_issue_updated(
    jira_sandbox, admin_auth, receiver
):
    register(
        jira_sandbox,
        admin_auth,
        f"{receiver.url}/hooks/jira/${{issue.key}}",
        ["jira:issue_updated"],
    )

    jira_sandbox.control(
        "issue_change", issue="TEST-2", fields={"summary": "Renamed in Jira"}, user="bob"
    )
    path, payload = receiver.next()

    assert path == "/hooks/jira/TEST-2"
    assert payload["webhookEvent"] == "jira:issue_updated"
    assert payload["user"]["name"] == "bob"
    assert payload["issue"]["key"] == "TEST-2"
    assert payload["issue"]["fields"]["summary"] == "Renamed in Jira"
    assert payload["changelog"]["items"] == [
        {
            "field": "summary",
            "fieldtype": "jira",
            "from": None,
            "fromString": "Login page shows a blank screen on Safari",
            "to": None,
            "toString": "Renamed in Jira",
        }
    ]
    assert isinstance(payload["timestamp"], int)


def test_issue_created_through_the_api_is_delivered(jira_sandbox, admin_auth, receiver):
    register(jira_sandbox, admin_auth, receiver.url, ["jira:issue_created"], "project = TEST")

    requests.post(
        f"{jira_sandbox.base_url}/rest/api/2/issue",
        json={
            "fields": {"project": {"key": "TEST"}, "issuetype": {"name": "Task"}, "summary": "New"}
        },
        auth=admin_auth,
        timeout=5,
    ).raise_for_status()
    _, payload = receiver.next()

    assert payload["webhookEvent"] == "jira:issue_created"
    assert payload["issue"]["fields"]["summary"] == "New"


def test_jql_filter_keeps_other_projects_out(jira_sandbox, admin_auth, receiver):
    register(jira_sandbox, admin_auth, receiver.url, ["jira:issue_updated"], "project = TEST")

    jira_sandbox.control("issue_change", issue="OPS-1", status="Done")
    jira_sandbox.control("issue_change", issue="TEST-1", status="Done")
    _, payload = receiver.next()

    assert payload["issue"]["key"] == "TEST-1"
    assert payload["changelog"]["items"][0]["toString"] == "Done"
    assert receiver.received.empty()


def test_non_admin_cannot_register_webhooks(
    jira_sandbox, jira_consumer, jira_alice_token, receiver
):
    response = register(
        jira_sandbox,
        jira_auth(jira_consumer, jira_alice_token),
        receiver.url,
        ["jira:issue_updated"],
    )

    assert response.status_code == 403
    assert response.json()["errorMessages"]


def test_webhook_to_an_address_off_the_machine_is_never_sent(jira_sandbox, admin_auth):
    register(jira_sandbox, admin_auth, "http://203.0.113.7/hook", ["jira:issue_updated"])

    jira_sandbox.control("issue_change", issue="TEST-1", fields={"labels": ["moved"]})
    deadline = time.monotonic() + 5
    deliveries = []
    while not deliveries and time.monotonic() < deadline:
        deliveries = jira_sandbox.control("webhook_deliveries")["data"]
        time.sleep(0.05)

    assert deliveries[0]["status"] is None
    assert deliveries[0]["error"].startswith("refused")
