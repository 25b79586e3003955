"""A small threaded HTTP framework shared by the provider simulators.

Each simulator is a `SandboxApp` with routes; this module gives it request recording, run-time
fault injection and the `/_sandbox/...` control endpoints that tests and the demo use. The
simulators run on loopback only; the control endpoints are deliberately unauthenticated.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

# Header and parameter names whose values are never recorded: tests read the log, and the log
# must not become a place where secrets can be found.
SECRET_HEADERS = frozenset({"authorization", "cookie", "x-hook-secret", "x-hook-signature"})
SECRET_PARAMS = frozenset(
    {
        "access_token",
        "refresh_token",
        "client_secret",
        "code",
        "code_verifier",
        "token",
        "oauth_token",
        "oauth_verifier",
        "oauth_signature",
        "password",
    }
)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def form(self) -> dict[str, str]:
        if self.content_type != "application/x-www-form-urlencoded":
            return {}
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: values[0] for key, values in parsed.items()}

    def json(self) -> Any:
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None):
        return cls(
            status=status,
            body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json; charset=UTF-8", **(headers or {})},
        )

    @classmethod
    def html(cls, markup: str, status: int = 200, headers: dict[str, str] | None = None):
        return cls(
            status=status,
            body=markup.encode(),
            headers={"Content-Type": "text/html; charset=utf-8", **(headers or {})},
        )

    @classmethod
    def redirect(cls, location: str, status: int = 302):
        return cls(status=status, headers={"Location": location})


@dataclass
class Fault:
    """One injected fault. `times` counts down; None means until cleared."""

    path_prefix: str = "/"
    method: str | None = None
    status: int | None = None
    retry_after: int | None = None
    latency_ms: int = 0
    hang_seconds: float = 0
    # A random delay of up to this many milliseconds after the request was handled and before
    # its answer leaves: answers to concurrent requests come back in another order than the
    # changes were applied, as they can over a real network.
    answer_jitter_ms: int = 0
    times: int | None = None
    body: Any = None

    def matches(self, request: Request) -> bool:
        if self.method and self.method.upper() != request.method:
            return False
        return request.path.startswith(self.path_prefix)


Handler = Callable[..., Response]


class SandboxApp:
    """Routes, recorded requests and faults of one simulator."""

    name = "sandbox"

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.lock = threading.RLock()
        self.recorded: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.base_url = ""  # set by serve(); handlers use it to build absolute URLs
        self.state_path: Path | None = None  # set by persist_to(): the trial's kept state
        self.register_routes()

    # -- to override -------------------------------------------------------------------------
    def register_routes(self) -> None:
        """Subclasses add their routes with self.route()."""

    def reset(self) -> None:
        """Subclasses restore their seed data; call super().reset()."""
        with self.lock:
            self.recorded.clear()
            self.faults.clear()

    def state_snapshot(self) -> dict[str, Any]:
        """What a restart must keep (data, consents, tokens); subclasses override."""
        return {}

    def state_restore(self, snapshot: dict[str, Any]) -> None:
        """Put back what state_snapshot() returned; subclasses override."""

    # -- persistence (the trial) -------------------------------------------------------------
    def persist_to(self, path: Path) -> bool:
        """Keep the simulator's state in `path` from now on; True when a kept state was loaded.

        The file is the simulator's own pickle, written by this process only (mode 0600 under
        the trial's `.local/`), so loading it trusts nothing another user could write.
        """
        self.state_path = Path(path)
        if not self.state_path.exists():
            self.save_state()
            return False
        with self.lock:
            self.state_restore(pickle.loads(self.state_path.read_bytes()))  # noqa: S301
        return True

    def save_state(self) -> None:
        """Write the state atomically (a crash mid-write keeps the previous file)."""
        if self.state_path is None:
            return
        with self.lock:
            data = pickle.dumps(self.state_snapshot())
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.state_path.with_suffix(".tmp")
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            os.replace(temporary, self.state_path)

    def fault_response(self, fault: Fault) -> Response:
        """The provider's own error body for an injected status; subclasses override."""
        payload = fault.body if fault.body is not None else {"error": "injected fault"}
        return Response.json(payload, status=fault.status or 500)

    # -- routing -----------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    def record(self, request: Request) -> None:
        form = request.form()
        entry = {
            "time": time.time(),
            "method": request.method,
            "path": request.path,
            "query": {
                key: ("[present]" if key in SECRET_PARAMS else values[0])
                for key, values in request.query.items()
            },
            "grant_type": form.get("grant_type"),
            "headers": {
                name: ("[present]" if name in SECRET_HEADERS else value)
                for name, value in request.headers.items()
            },
        }
        with self.lock:
            self.recorded.append(entry)

    def take_fault(self, request: Request) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(request):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_sandbox/"):
            return self.handle_control(request)
        self.record(request)
        fault = self.take_fault(request)
        if fault is not None:
            if fault.latency_ms:
                time.sleep(fault.latency_ms / 1000)
            if fault.hang_seconds:
                time.sleep(fault.hang_seconds)
            if fault.status:
                response = self.fault_response(fault)
                if fault.retry_after is not None:
                    response.headers["Retry-After"] = str(fault.retry_after)
                return response
        response = self.route_request(request)
        if fault is not None and fault.answer_jitter_ms:
            time.sleep(random.uniform(0, fault.answer_jitter_ms) / 1000)  # noqa: S311 - not security
        return response

    def route_request(self, request: Request) -> Response:
        path_matched = False
        for method, pattern, handler in self.routes:
            match = pattern.match(request.path)
            if not match:
                continue
            path_matched = True
            if method == request.method:
                return handler(request, **match.groupdict())
        return self.not_found(request, method_not_allowed=path_matched)

    def not_found(self, request: Request, method_not_allowed: bool = False) -> Response:
        if method_not_allowed:
            return Response.json({"error": "method not allowed"}, status=405)
        return Response.json({"error": "not found"}, status=404)

    # -- control endpoints -------------------------------------------------------------------
    def handle_control(self, request: Request) -> Response:
        action = request.path.removeprefix("/_sandbox/").strip("/")
        if action == "requests" and request.method == "GET":
            with self.lock:
                return Response.json({"data": list(self.recorded)})
        if action == "requests" and request.method == "DELETE":
            with self.lock:
                self.recorded.clear()
            return Response(status=204)
        if action == "faults" and request.method == "POST":
            spec = request.json() or {}
            allowed = set(Fault.__dataclass_fields__)
            fault = Fault(**{key: value for key, value in spec.items() if key in allowed})
            with self.lock:
                self.faults.append(fault)
            return Response.json({"data": "ok"}, status=201)
        if action == "faults" and request.method == "DELETE":
            with self.lock:
                self.faults.clear()
            return Response(status=204)
        if action == "reset" and request.method == "POST":
            self.reset()
            return Response(status=204)
        if action == "health":
            return Response.json({"data": "ok", "name": self.name})
        return self.handle_extra_control(action, request)

    def handle_extra_control(self, action: str, request: Request) -> Response:
        """Subclasses add their own controls (expire a token, change a task...)."""
        return Response.json({"error": f"unknown control {action}"}, status=404)


def make_handler(app: SandboxApp) -> type[BaseHTTPRequestHandler]:
    class SandboxRequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = f"conduit-{app.name}-sandbox"
        # Status line, headers and body leave in one write (a buffered wfile, flushed once per
        # request by handle_one_request) with Nagle off: written as two sends, the body of
        # every answer on a reused keep-alive connection waited ~40 ms for the client's
        # delayed ACK, which made pooling look slower than a new connection per call.
        disable_nagle_algorithm = True
        wbufsize = -1

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # the recorded log replaces the access log, and it leaves secrets out

        def _dispatch(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Request(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={name.lower(): value for name, value in self.headers.items()},
                body=body,
            )
            try:
                response = app.handle(request)
            except Exception as error:  # noqa: BLE001 - a simulator answers 500 like a server
                response = Response.json({"error": f"sandbox error: {type(error).__name__}"}, 500)
            if request.method not in ("GET", "HEAD"):
                app.save_state()  # only requests that can change something
            try:
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(response.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test); nothing to answer

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch

    return SandboxRequestHandler


class SandboxServer(ThreadingHTTPServer):
    """The threaded server; with `tls_context` set, each connection speaks HTTPS."""

    daemon_threads = True
    allow_reuse_address = True
    tls_context: ssl.SSLContext | None = None
    ca_file: str | None = None  # the CA that signed the certificate, in HTTPS mode

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        # The handshake runs in the connection's own thread, so a slow or broken client
        # never holds up accept() for the others.
        if self.tls_context is not None:
            try:
                request.settimeout(10)
                request = self.tls_context.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except (OSError, ssl.SSLError):
                self.shutdown_request(request)
                return
        super().process_request_thread(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError):
            return  # a client that hung up (timeout tests, benchmarks): nothing to report
        super().handle_error(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        if isinstance(request, ssl.SSLSocket):
            try:
                request.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the client is gone already
            request.close()
            return
        super().shutdown_request(request)


def make_server(
    app: SandboxApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    tls: bool = False,
    tls_dir: str | None = None,
) -> SandboxServer:
    """Bind (port 0 picks a free one) and set app.base_url; call serve_forever() to run.

    With `tls`, a new CA and loopback certificate are generated (into `tls_dir`, else a new
    private temp directory), the server speaks only HTTPS, app.base_url is https://... and
    `server.ca_file` is the CA file a client must trust.
    """
    server = SandboxServer((host, port), make_handler(app))
    scheme = "http"
    if tls:
        from integrations.sandbox.tls import make_certificate, server_context

        certificate = make_certificate(tls_dir)
        server.tls_context = server_context(certificate)
        server.ca_file = certificate.ca_file
        scheme = "https"
    shown_host = f"[{host}]" if ":" in host else host
    app.base_url = f"{scheme}://{shown_host}:{server.server_address[1]}"
    return server
