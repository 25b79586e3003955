"""Operator smoke test: the README's "Run it in production" runbook, with real processes.

On a fresh PostgreSQL database and this run's Redis database, `bash bin/prod-local` (what
`make prod-local` runs) builds a virtualenv from the production lock alone, generates the
secrets, the keyset (`manage.py keyset create --file`) and a self-signed certificate, runs
`release` to completion and then web (gunicorn serving TLS on loopback), worker and beat in
production mode. The tests then follow the runbook: `/readyz`, `manage.py team_create`, an admin
login over https; a web process with REDIS_URL at a closed port (keyset from `keyset create`'s
printed output in CONDUIT_KEYSET) and one with DATABASE_URL at a closed port.

Hook for request ids and metrics (issue 13's logging bullet): `production.log_path` is the
honcho log of web, worker and beat; assertions on JSON log lines and `/metrics` belong here.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
ADMIN, PASSWORD = "first-admin", "correct-horse-battery-staple"
TEST_ONLY_PREFIXES = ("DJANGO_", "CONDUIT_", "CELERY_", "DATABASE_URL", "REDIS_URL", "EGRESS_",
                      "SQLITE_", "PYTEST", "ASANA_", "SECRET_KEY", "ALLOWED_HOSTS")
pytestmark = [pytest.mark.worker, pytest.mark.timeout(420)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Production:
    env: dict[str, str]
    python: str
    base_url: str
    cert: str
    log_path: Path
    process: subprocess.Popen

    def manage(self, *args: str, env: dict[str, str] | None = None,
               ) -> subprocess.CompletedProcess:
        return subprocess.run([self.python, "manage.py", *args], cwd=ROOT,  # noqa: S603
                              env=env or self.env, capture_output=True, text=True, timeout=120)


def wait_for(url: str, cert: str, *, status: int | None = None, timeout: float = 120,
             process: subprocess.Popen | None = None, log: Path | None = None
             ) -> requests.Response:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process ended ({process.returncode}):\n"
                               + (log.read_text(errors="replace") if log else ""))
        try:
            answer = requests.get(url, verify=cert, timeout=5)
            if status is None or answer.status_code == status:
                return answer
            last = answer.text
        except requests.RequestException as error:
            last = error
        time.sleep(0.5)
    raise RuntimeError(f"{url} never answered {status}: {last}\n"
                       + (log.read_text(errors="replace")[-4000:] if log else ""))


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> Iterator[Production]:
    run = os.environ.get("CONDUIT_TEST_RUN", str(os.getpid()))
    database = f"conduit_smoke_{run}"
    work = tmp_path_factory.mktemp("smoke")
    port = free_port()
    # The machine's environment (package index and certificate settings) without the test
    # settings' variables: the processes see what an operator's shell would hold.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(TEST_ONLY_PREFIXES)}
    env |= {
        "PYTHONUNBUFFERED": "1",
        "CONDUIT_VENV": str(work / "venv"),
        "CONDUIT_LOCAL_DIR": str(work / "local"),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        "PORT": str(port), "WEB_CONCURRENCY": "2", "CELERY_CONCURRENCY": "2",
    }
    log_path = work / "processes.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(["bash", "bin/prod-local"], cwd=ROOT, env=env,  # noqa: S603, S607
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    cert = str(work / "local" / "prod" / "tls" / "tls.crt")
    try:
        deadline = time.monotonic() + 240
        while not Path(cert).exists() and time.monotonic() < deadline:
            assert process.poll() is None, log_path.read_text()
            time.sleep(0.5)
        base_url = f"https://127.0.0.1:{port}"
        wait_for(f"{base_url}/readyz", cert, status=200, timeout=180, process=process,
                 log=log_path)
        text = log_path.read_text()
        # What the start script exports, for the commands the runbook runs next.
        env_of_processes = {**env, **exported_environment(env)}
        yield Production(env=env_of_processes, python=str(work / "venv" / "bin" / "python"),
                         base_url=base_url, cert=cert, log_path=log_path, process=process)
        assert "release: migrations applied" in text
    finally:
        stop(process)
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                             autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def exported_environment(env: dict[str, str]) -> dict[str, str]:
    """The production variables bin/prod-local derives, as an operator's shell would hold them."""
    prod = Path(env["CONDUIT_LOCAL_DIR"]) / "prod"
    return {
        "DJANGO_ENV": "production", "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "ASANA_CLIENT_ID": "conduit-prod-local", "BEHIND_TLS_PROXY": "false",
        "SECRET_KEY": (prod / "secret_key").read_text().strip(),
        "ASANA_CLIENT_SECRET": (prod / "asana_client_secret").read_text().strip(),
        "CONDUIT_KEYSET_FILE": str(prod / "keyset.json"),
        "STATIC_ROOT": str(prod / "staticfiles"),
    }


def start_web(production: Production, tmp_path: Path, **overrides: str
              ) -> tuple[str, subprocess.Popen]:
    """One more web process (the Procfile's web line) with some variables changed."""
    port = free_port()
    cert = production.cert
    env = {**production.env, **overrides, "WEB_CONCURRENCY": "1",
           "GUNICORN_CMD_ARGS": f"--certfile {cert} --keyfile {cert[:-3]}key "
                                f"--bind 127.0.0.1:{port}"}
    env = {key: value for key, value in env.items() if value != ""}
    log_path = tmp_path / f"web-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603
            [str(Path(production.python).parent / "gunicorn"), "-c", "config/gunicorn.py",
             "config.wsgi"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    base_url = f"https://127.0.0.1:{port}"
    wait_for(f"{base_url}/healthz", cert, status=200, timeout=60, process=process, log=log_path)
    return base_url, process


def log_in(base_url: str, cert: str, session: requests.Session | None = None
           ) -> requests.Session:
    session = session or requests.Session()
    session.verify = cert
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace the verify above
    form = session.get(f"{base_url}/login", timeout=10)
    assert form.status_code == 200, form.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    answer = session.post(f"{base_url}/login", data={
        "username": ADMIN, "password": PASSWORD, "csrfmiddlewaretoken": token,
    }, headers={"Referer": f"{base_url}/login"}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:2000]
    return session


def test_release_runs_before_the_processes_and_readyz_is_ok(production):
    answer = requests.get(f"{production.base_url}/readyz", verify=production.cert, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["checks"] == {name: "ok" for name in
                                       ("database", "migrations", "redis", "cache", "worker")}
    log = production.log_path.read_text()
    assert log.index("release: migrations applied") < log.index("web.1")
    assert "beat: this beat sends the schedule" in log
    assert not list(ROOT.glob("celerybeat-schedule*"))


def test_plain_http_is_not_served_and_healthz_answers_over_https(production):
    assert requests.get(f"{production.base_url}/healthz", verify=production.cert,
                        timeout=10).json() == {"status": "ok"}
    with pytest.raises(requests.ConnectionError):
        requests.get(production.base_url.replace("https", "http") + "/healthz", timeout=5)


def test_runbook_team_create_then_the_admin_uses_the_console_over_https(production):
    created = production.manage("team_create", "--name", "Smoke Team", "--admin", ADMIN,
                                env={**production.env, "CONDUIT_ADMIN_PASSWORD": PASSWORD})
    assert created.returncode == 0, created.stderr
    session = log_in(production.base_url, production.cert)
    console = session.get(f"{production.base_url}/admin/", timeout=10)
    assert console.status_code == 200
    assert "Smoke Team" in session.get(f"{production.base_url}/admin/approvals/team/",
                                       timeout=10).text
    assert session.cookies.get("__Host-sessionid")


def test_redis_down_readyz_names_redis_and_login_still_works(production, tmp_path):
    printed = production.manage("keyset", "create")
    assert printed.returncode == 0 and '"primaryKeyId"' in printed.stdout
    closed = free_port()
    base_url, web = start_web(production, tmp_path, REDIS_URL=f"redis://127.0.0.1:{closed}/0",
                              CONDUIT_KEYSET=printed.stdout, CONDUIT_KEYSET_FILE="")
    try:
        ready = requests.get(f"{base_url}/readyz", verify=production.cert, timeout=30)
        assert ready.status_code == 503
        assert "redis" in ready.json()["failed"]
        assert str(closed) not in ready.text
        session = log_in(base_url, production.cert)
        assert session.get(f"{base_url}/", timeout=10).status_code == 200
    finally:
        stop(web)


def test_database_down_pages_answer_503_and_release_prints_one_line(production, tmp_path):
    session = log_in(production.base_url, production.cert)
    closed = free_port()
    down = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed}/conduit"}
    base_url, web = start_web(production, tmp_path, **down)
    try:
        page = session.get(f"{base_url}/", timeout=30)
        assert page.status_code == 503
        assert "Conduit is temporarily unavailable" in page.text
        assert 'href="/static/conduit/conduit.' in page.text  # the product's stylesheet
        api = session.get(f"{base_url}/api/v1/me", timeout=30)
        assert api.status_code == 503
        assert api.json()["error"]["code"] == "database_unavailable"
    finally:
        stop(web)
    release = production.manage("release", env={**production.env, **down})
    assert release.returncode == 1
    lines = release.stderr.strip().splitlines()
    assert len(lines) == 1, release.stderr
    assert lines[0].startswith("conduit: the database cannot be reached")
    assert "check DATABASE_URL" in lines[0]
