"""The processes a bench run starts and stops: the Asana sandbox over TLS, gunicorn, Celery.

All on loopback and free ports (port 0); each is stopped by its own pid when the run ends.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def bare_session(ca_file: str | None = None) -> requests.Session:
    """A plain keep-alive session for loopback: no proxy, and `ca_file` really used.

    trust_env is off because REQUESTS_CA_BUNDLE in the environment would otherwise replace the
    session's `verify` on every request.
    """
    session = requests.Session()
    session.trust_env = False
    if ca_file:
        session.verify = ca_file
    return session


@dataclass
class Sandbox:
    base_url: str
    ca_file: str
    http: requests.Session

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def requests(self, path_prefix: str = "") -> list[dict]:
        entries = self.http.get(self.url("/_sandbox/requests"), timeout=30).json()["data"]
        return [entry for entry in entries if entry["path"].startswith(path_prefix)]

    def clear_requests(self) -> None:
        self.http.delete(self.url("/_sandbox/requests"), timeout=30)

    def control(self, action: str, **payload) -> dict:
        response = self.http.post(self.url(f"/_sandbox/{action}"), json=payload, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else {}


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_for(log: Path, pattern: str, process: subprocess.Popen, what: str,
              timeout: float = 120) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(pattern, log.read_text(errors="replace"))
        if match:
            return match
        if process.poll() is not None:
            break
        time.sleep(0.1)
    _stop(process)
    raise RuntimeError(f"{what} did not start:\n{log.read_text(errors='replace')[-3000:]}")


@contextmanager
def asana_sandbox(*, work_dir: Path, **options: str) -> Iterator[Sandbox]:
    """`manage.py sandbox asana --tls` on a free port; yields its URL and CA file."""
    log = work_dir / "sandbox.log"
    command = [sys.executable, str(ROOT / "manage.py"), "sandbox", "asana", "--port", "0",
               "--tls", "--tls-dir", str(work_dir / "tls")]
    for key, value in options.items():
        command += ["--option", f"{key}={value}"]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = _wait_for(log, r"listening on (https://\S+)", process, "the Asana sandbox").group(1)
        ca_file = re.search(r"CA file (\S+)", log.read_text()).group(1)
        http = bare_session(ca_file)
        yield Sandbox(base_url=url, ca_file=ca_file, http=http)
    finally:
        _stop(process)


@contextmanager
def gunicorn(*, work_dir: Path, workers: int = 2) -> Iterator[str]:
    """Conduit (bench settings, with the bare view) on gunicorn, a free port; yields its URL."""
    log = work_dir / "gunicorn.log"
    command = [str(BIN / "gunicorn"), "config.wsgi", "--bind", "127.0.0.1:0",
               "--workers", str(workers), "--access-logfile", "/dev/null",
               "--error-logfile", "-"]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = _wait_for(log, r"Listening at: (http://\S+)", process, "gunicorn").group(1)
        _wait_for(log, r"Booting worker", process, "gunicorn's workers")
        yield url
    finally:
        _stop(process)


@contextmanager
def celery_worker(*, work_dir: Path, queue: str, concurrency: int = 4) -> Iterator[None]:
    """A real `celery worker` (prefork, `concurrency` processes) consuming `queue`."""
    log = work_dir / "worker.log"
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
               "--concurrency", str(concurrency), "-Q", queue, "--hostname", f"{queue}@%h",
               "--without-gossip", "--without-mingle", "--without-heartbeat",
               "--loglevel", "INFO"]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        _wait_for(log, r"ready\.", process, "the celery worker")
        yield
    finally:
        _stop(process)
