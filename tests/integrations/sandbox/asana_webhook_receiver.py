"""A small loopback HTTP server playing the webhook target during Asana simulator tests."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookReceiver:
    """Answers the X-Hook-Secret handshake (unless told not to) and keeps each delivery."""

    def __init__(self, *, echo_secret: bool = True) -> None:
        self.echo_secret = echo_secret
        self.secret: str | None = None
        self.deliveries: list[dict[str, Any]] = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                secret = self.headers.get("X-Hook-Secret")
                self.send_response(200 if secret is None or receiver.echo_secret else 400)
                if secret is not None and receiver.echo_secret:
                    receiver.secret = secret
                    self.send_header("X-Hook-Secret", secret)
                elif secret is None:
                    receiver.deliveries.append(
                        {"signature": self.headers.get("X-Hook-Signature"), "body": body}
                    )
                    receiver.arrived.set()
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/asana/1"

    def __enter__(self) -> WebhookReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()
