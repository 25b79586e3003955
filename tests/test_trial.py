"""The README's first command brings the whole product up, and its printed logins work."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def trial_environment(local_dir: Path) -> dict[str, str]:
    """A laptop's environment: none of the test run's database, Redis or settings."""
    dropped = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ENV",
               "CELERY_TASK_ALWAYS_EAGER", "EGRESS_ALLOW_LOOPBACK", "CONDUIT_TEST_RUN"}
    environment = {key: value for key, value in os.environ.items() if key not in dropped}
    environment["CONDUIT_LOCAL_DIR"] = str(local_dir)
    return environment


class Trial:
    """`make run` in a subprocess on free ports (or `ports`: a restart keeps its addresses)."""

    def __init__(self, local_dir: Path, ports: tuple[int, int, int] | None = None) -> None:
        self.local_dir = local_dir
        self.port, self.asana_port, self.jira_port = ports or (free_port(), free_port(),
                                                               free_port())
        args = f"--port {self.port} --asana-port {self.asana_port} --jira-port {self.jira_port}"
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"TRIAL_ARGS={args}"],
            cwd=ROOT, env=trial_environment(local_dir), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )
        self.output = self.read_until("Press Ctrl-C to stop.")
        self.url = f"http://localhost:{self.port}/"
        self.wait_for(f"http://127.0.0.1:{self.port}/healthz")

    def read_until(self, marker: str, timeout: float = 180) -> str:
        assert self.process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                break
            lines.append(line)
            if marker in line:
                return "".join(lines)
        raise AssertionError("the trial did not start:\n" + "".join(lines))

    @staticmethod
    def wait_for(url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(url, timeout=2).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        raise AssertionError(f"{url} did not answer")

    def logins(self) -> dict[str, str]:
        return dict(re.findall(r"^\s+(admin|member|support)\s+(\S+)", self.output, re.M))

    @property
    def ports(self) -> tuple[int, int, int]:
        return self.port, self.asana_port, self.jira_port

    def stop(self) -> str:
        """What Ctrl-C does: SIGINT to the whole foreground process group. Returns what the
        trial printed from then on."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            remaining, _ = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise
        return remaining or ""


def log_in(base: str, username: str, password: str) -> requests.Response:
    """Log in over plain HTTP the way a browser on localhost does.

    Browsers send Secure cookies to http://localhost; Python's cookie jar does not, so the
    cookies are carried by hand here.
    """
    page = requests.get(base + "login", timeout=10)
    csrf_cookie = page.cookies.get("csrftoken")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return requests.post(
        base + "login",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Cookie": f"csrftoken={csrf_cookie}", "Referer": base + "login"},
        allow_redirects=False, timeout=10,
    )


@pytest.mark.timeout(600)
def test_first_readme_command_starts_the_product_and_its_logins_work(tmp_path):
    trial = Trial(tmp_path)
    try:
        logins = trial.logins()
        assert set(logins) == {"admin", "member", "support"}
        assert trial.url in trial.output
        # The banner names both simulators and what to try first.
        assert f"Asana  http://127.0.0.1:{trial.asana_port}/" in trial.output
        assert f"Jira   http://127.0.0.1:{trial.jira_port}/" in trial.output
        assert 'Try first: log in as member' in trial.output and '"Demo board"' in trial.output
        base = f"http://127.0.0.1:{trial.port}/"
        for username, password in logins.items():
            response = log_in(base, username, password)
            assert response.status_code == 302, (username, response.text[:300])
            assert "sessionid" in response.cookies
        refused = log_in(base, "member", "not-the-password")
        assert refused.status_code == 200 and "didn't match" in refused.text
        for port in (trial.asana_port, trial.jira_port):
            Trial.wait_for(f"http://127.0.0.1:{port}/_sandbox/health")
    finally:
        trial.stop()
    assert trial.process.returncode is not None

    again = Trial(tmp_path)  # running it twice reuses the data and the logins
    try:
        assert again.logins() == logins
    finally:
        said = again.stop()
    # A normal Ctrl-C says nothing alarming: no traceback, no error, no make failure.
    assert "Conduit stopped." in said
    for alarming in ("Traceback", "Error", "make: ***", "KeyboardInterrupt"):
        assert alarming not in said, said



def test_the_trial_runs_tasks_in_process_even_with_a_redis_url_in_the_shell(monkeypatch):
    from integrations.management.commands.trial import web_environment

    # The trial starts no worker: a queued task (the Jira check) would never run.
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.delenv("CELERY_TASK_ALWAYS_EAGER", raising=False)
    environment = web_environment(port=8000, asana="http://127.0.0.1:8101")
    assert environment["CELERY_TASK_ALWAYS_EAGER"] == "true"
    monkeypatch.setenv("CELERY_TASK_ALWAYS_EAGER", "false")  # an operator's explicit choice
    assert web_environment(port=8000, asana="http://127.0.0.1:8101")[
        "CELERY_TASK_ALWAYS_EAGER"] == "false"
