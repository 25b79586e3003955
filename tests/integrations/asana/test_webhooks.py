"""Asana webhooks: handshake, signature check, subscribe and unsubscribe, with real deliveries.

The events of a delivery are parsed in the same module (test_webhook_events.py)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from integrations.asana import webhooks
from integrations.providers import (
    Credentials,
    WebhookChanges,
    WebhookSubscriptionInfo,
    get_provider,
)
from integrations.sandbox.asana import seed

SECRET = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81"
BODY = json.dumps(
    {"events": [{"action": "changed", "resource": {"gid": "7", "resource_type": "task"}}]}
).encode()


class Receiver:
    """A loopback webhook target using the connector's handshake helpers, like the real view."""

    def __init__(self) -> None:
        self.secret: str | None = None
        self.deliveries: list[tuple[bytes, str | None]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                secret = webhooks.handshake_secret(self.headers)
                self.send_response(200)
                if secret is not None:
                    receiver.secret = secret
                    for name, value in webhooks.handshake_headers(secret).items():
                        self.send_header(name, value)
                else:
                    signature = self.headers.get(webhooks.SIGNATURE_HEADER)
                    receiver.deliveries.append((body, signature))
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/asana/1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    target = Receiver()
    yield target
    target.close()


def test_good_signature_is_accepted():
    signature = webhooks.signature_of(SECRET, BODY)
    assert webhooks.verify_signature(SECRET, BODY, signature)
    assert webhooks.verify_signature(SECRET.encode(), BODY, signature.upper())


@pytest.mark.parametrize(
    ("secret", "body", "signature"),
    [
        (SECRET, BODY + b" ", webhooks.signature_of(SECRET, BODY)),  # body changed
        (SECRET, BODY, webhooks.signature_of("another secret", BODY)),  # other secret
        (SECRET, BODY, webhooks.signature_of(SECRET, BODY)[:-2]),  # truncated
        (SECRET, BODY, ""),
        (SECRET, BODY, None),
        ("", BODY, webhooks.signature_of("", BODY)),  # no secret stored yet
        (None, BODY, "00"),
        (SECRET, BODY, "é" * 64),
    ],
)
def test_forged_signature_is_refused(secret, body, signature):
    assert not webhooks.verify_signature(secret, body, signature)


def test_handshake_secret_is_read_and_echoed():
    assert webhooks.handshake_secret({"x-hook-secret": SECRET}) == SECRET
    assert webhooks.handshake_secret({"Content-Type": "application/json"}) is None
    assert webhooks.handshake_headers(SECRET) == {"X-Hook-Secret": SECRET}


def test_subscribe_handshake_then_a_signed_delivery_names_the_task(
    sandbox, receiver, least_privilege_token, restore_seed
):
    asana = get_provider("asana")
    ada = Credentials(access_token=least_privilege_token)
    hook = asana.webhook_subscribe(ada, container_id=seed.WEBSITE_PROJECT, target_url=receiver.url)
    assert hook["id"] and hook["secret"] is None
    assert receiver.secret  # Asana handed it to the target during the call

    task = str(int(seed.WEBSITE_TASK_FIRST) + 1)
    sandbox.control("change_task", gid=task, changes={"name": "Renamed in Asana"})
    sandbox.control("webhooks", wait=True, timeout=10)

    assert len(receiver.deliveries) == 1
    body, signature = receiver.deliveries[0]
    assert webhooks.verify_signature(receiver.secret, body, signature)
    assert not webhooks.verify_signature("a guessed secret", body, signature)
    # The provider's receiver, which cards' webhook view calls, reads the real delivery.
    info = WebhookSubscriptionInfo(id="1", provider="asana", status="active",
                                   secret=receiver.secret)
    answer = asana.webhook_receive(headers={"X-Hook-Signature": signature}, body=body,
                                   subscription=info)
    assert answer == WebhookChanges(changed=(task,))


def test_unsubscribe_works_with_conduits_scopes(
    sandbox, receiver, least_privilege_token, restore_seed
):
    asana = get_provider("asana")
    ada = Credentials(access_token=least_privilege_token)
    hook = asana.webhook_subscribe(ada, container_id=seed.WEBSITE_PROJECT, target_url=receiver.url)
    assert [listed["gid"] for listed in sandbox.control("webhooks")["data"]] == [hook["id"]]
    sandbox.clear_requests()
    asana.webhook_unsubscribe(ada, hook["id"])
    asana.webhook_unsubscribe(ada, hook["id"])  # already gone: not an error
    deletes = sandbox.requests(f"/api/1.0/webhooks/{hook['id']}")
    assert [entry["method"] for entry in deletes] == ["DELETE", "DELETE"]
    assert all(entry["headers"].get("authorization") == "[present]" for entry in deletes)
    assert sandbox.control("webhooks")["data"] == []  # Asana holds no webhook any more
