"""The observability tests' real processes: gunicorn (two workers) and a Celery worker with
LOG_FORMAT=json at DEBUG, a shared PROMETHEUS_MULTIPROC_DIR and a METRICS_TOKEN, on the run's
test database, Redis database and the session's Asana sandbox. Started once per session, and
only by the tests that ask for `observed_stack`.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
import requests

from tests.fixtures.observability import listening_port
from tests.fixtures.sandbox_process import SandboxControl
from tests.tokens.lifecycle_fixtures import (
    ROOT,
    broker_url,
    database_url,
    start_worker,
    stop_worker,
)


@dataclass
class ObservedStack:
    base_url: str
    metrics_token: str
    web_log: Path
    worker_log: Path
    queue: str

    def url(self, path: str) -> str:
        return self.base_url + path

    def web_text(self) -> str:
        return self.web_log.read_text(errors="replace")

    def worker_text(self) -> str:
        return self.worker_log.read_text(errors="replace")

    def metrics(self) -> str:
        response = requests.get(self.url("/metrics"), timeout=10,
                                headers={"Authorization": f"Bearer {self.metrics_token}"})
        response.raise_for_status()
        return response.text


@pytest.fixture(scope="session")
def observed_stack(django_db_setup, django_db_blocker, asana_sandbox: SandboxControl,
                   tmp_path_factory) -> Iterator[ObservedStack]:
    run = os.environ.get("CONDUIT_TEST_RUN", str(os.getpid()))
    folder = tmp_path_factory.mktemp("observed")
    multiproc = folder / "prometheus"
    multiproc.mkdir()
    queue = f"conduit-observability-test-{run}"
    token = secrets.token_urlsafe(24)
    env = {
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "DEBUG",
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        "METRICS_TOKEN": token,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    web_log, worker_log = folder / "web.log", folder / "worker.log"
    with django_db_blocker.unblock(), mock.patch.dict(os.environ, env):
        worker = start_worker(asana_sandbox=asana_sandbox, queue=queue, log_path=worker_log,
                              concurrency=2)
        web_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": broker_url(),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "ASANA_OAUTH_URL": asana_sandbox.url("/-/"),
            "ASANA_API_URL": asana_sandbox.url("/api/1.0"),
            "PYTHONUNBUFFERED": "1",
        }
    command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py",
               "--bind", "127.0.0.1:0", "--workers", "2", "--no-control-socket", "config.wsgi"]
    with web_log.open("a") as log:
        web = subprocess.Popen(command, cwd=ROOT, env=web_env, stdout=log,  # noqa: S603
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        port = None
        while port is None:
            port = listening_port(web_log.read_text(errors="replace"))
            if web.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start:\n" + web_log.read_text())
            time.sleep(0.1)
        stack = ObservedStack(base_url=f"http://127.0.0.1:{port}", metrics_token=token,
                              web_log=web_log, worker_log=worker_log, queue=queue)
        while True:  # both workers booted and Django importable
            try:
                if requests.get(stack.url("/healthz"), timeout=30).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn does not answer:\n" + web_log.read_text())
            time.sleep(0.2)
        yield stack
    finally:
        stop_worker(web)
        stop_worker(worker)
