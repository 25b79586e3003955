"""Operator smoke test: the README's "Run it in production" runbook, with real processes.

On a fresh PostgreSQL database and this run's Redis database, `bash bin/prod-local` (what
`make prod-local` runs) builds a virtualenv from the production lock alone, generates the
secrets, the keyset (`manage.py keyset create --file`) and a self-signed certificate, runs
`release` to completion and then web (gunicorn serving TLS on loopback), worker and beat in
production mode, against the Asana sandbox over HTTPS. The tests then follow the runbook (whose
commands `test_the_runbook_is_what_this_test_and_bin_prod_local_run` reads from the README):
`/readyz`, `team_create` exactly as written there, the admin's login and console over https;
the admin connects Asana and asks the console for a refresh, which the worker does under that
request's id (the sandbox's log, the JSON logs, `/metrics`); a web process with REDIS_URL at a
closed port (keyset from `keyset create`'s printed output in CONDUIT_KEYSET) and one with
DATABASE_URL at a closed port. Every process is started once for the module.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest
import requests

from config.settings import REQUIRED_IN_PRODUCTION
from tests.fixtures.observability import metric_value
from tests.fixtures.sandbox_process import SandboxControl, running_sandbox
from tests.ops.test_lean_install import TEST_TOOLS
from tests.tokens.lifecycle_fixtures import consent

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery-staple"
ASANA_CLIENT_ID = "conduit-prod-local"  # bin/prod-local's default
METRICS_TOKEN = secrets.token_urlsafe(24)
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
T = TypeVar("T")
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
    asana: SandboxControl

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


def eventually(probe: Callable[[], T], *, seconds: float = 60, what: str = "") -> T:
    """`probe()`'s first truthy value, polled until a bounded deadline (a loaded machine is
    slow, never wrong): the assertion after it is the same as without the wait."""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            assert value, f"never happened within {seconds} s: {what}"
            return value
        time.sleep(0.5)


def process_lines(text: str) -> list[tuple[str, dict]]:
    """(process, JSON object) of each JSON line of honcho's log ("12:00:00 worker.1 | {...}")."""
    lines = []
    for line in text.splitlines():
        name, bar, rest = line.partition(" | ")
        if not bar or not rest.lstrip().startswith("{"):
            continue
        try:
            value = json.loads(rest)
        except ValueError:
            continue
        if isinstance(value, dict):
            lines.append((name.split()[-1] if name.split() else "", value))
    return lines


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def asana_client_secret() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def asana_https(tmp_path_factory, asana_client_secret) -> Iterator[SandboxControl]:
    """The Asana sandbox over HTTPS (its own CA), knowing production's OAuth client."""
    with running_sandbox("asana", tls_dir=tmp_path_factory.mktemp("asana-tls"),
                         token_lifetime=3600, rotate_refresh_tokens="true",
                         client_id=ASANA_CLIENT_ID, client_secret=asana_client_secret
                         ) as control:
        yield control


@pytest.fixture(scope="module")
def production(tmp_path_factory, asana_https, asana_client_secret) -> Iterator[Production]:
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
        "METRICS_TOKEN": METRICS_TOKEN,
        # The provider is the Asana sandbox on loopback, over HTTPS with its own CA.
        "ASANA_CLIENT_ID": ASANA_CLIENT_ID, "ASANA_CLIENT_SECRET": asana_client_secret,
        "ASANA_OAUTH_URL": asana_https.url("/-/"), "ASANA_API_URL": asana_https.url("/api/1.0"),
        "EGRESS_ALLOW_LOOPBACK": "true", "EGRESS_CA_BUNDLE": asana_https.http.verify,
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
                         base_url=base_url, cert=cert, log_path=log_path, process=process,
                         asana=asana_https)
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
        "BEHIND_TLS_PROXY": "false",
        "SECRET_KEY": (prod / "secret_key").read_text().strip(),
        "CONDUIT_KEYSET_FILE": str(prod / "keyset.json"),
        "STATIC_ROOT": str(prod / "staticfiles"),
        "PROMETHEUS_MULTIPROC_DIR": str(prod / "metrics"),
    }


def runbook() -> list[str]:
    """The commands of the README's "A fresh install, step by step", comments left out."""
    section = (ROOT / "README.md").read_text().split("### A fresh install, step by step", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def runbook_command(name: str) -> str:
    """The runbook's one `manage.py NAME` line."""
    (line,) = [line for line in runbook() if f"manage.py {name}" in line]
    return line


@dataclass
class FirstAdmin:
    username: str
    team: str


@pytest.fixture(scope="module")
def first_admin(production) -> FirstAdmin:
    """The runbook's `team_create` line, run as written (its password in CONDUIT_ADMIN_PASSWORD)."""
    words = shlex.split(runbook_command("team_create"))
    assignments = {}
    while "=" in words[0] and not words[0].startswith("-"):
        name, _, _ = words.pop(0).partition("=")
        assignments[name] = PASSWORD if name == "CONDUIT_ADMIN_PASSWORD" else ""
    assert assignments == {"CONDUIT_ADMIN_PASSWORD": PASSWORD}
    assert words[:3] == [".venv/bin/python", "manage.py", "team_create"], words
    created = production.manage(*words[2:], env={**production.env, **assignments})
    assert created.returncode == 0, created.stderr
    assert PASSWORD not in created.stdout + created.stderr
    return FirstAdmin(username=words[words.index("--admin") + 1],
                      team=words[words.index("--name") + 1])


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


def log_in(base_url: str, cert: str, username: str, session: requests.Session | None = None
           ) -> requests.Session:
    session = session or requests.Session()
    session.verify = cert
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace the verify above
    form = session.get(f"{base_url}/login", timeout=10)
    assert form.status_code == 200, form.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    answer = session.post(f"{base_url}/login", data={
        "username": username, "password": PASSWORD, "csrfmiddlewaretoken": token,
    }, headers={"Referer": f"{base_url}/login"}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:2000]
    return session


def test_the_runbook_is_what_this_test_and_bin_prod_local_run():
    """Each command of the README's runbook is run by bin/prod-local (as written there) or by
    this module; a command added to the runbook fails here until the test runs it too."""
    prod_local = (ROOT / "bin" / "prod-local").read_text()
    run_by_this_module = {
        ".venv/bin/python manage.py keyset create": "test_redis_down_... (CONDUIT_KEYSET)",
        "curl -fsS https://conduit.example.com/readyz": "the production fixture, then "
                                                       "test_release_runs_...",
        runbook_command("team_create"): "the first_admin fixture, as written",
        ".venv/bin/python manage.py createsuperuser": "optional and interactive: not run",
    }
    run_by_prod_local = {
        "bash .ci/bootstrap production --exact": "bash .ci/bootstrap production --exact",
        ".venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))'":
            """"$python" -c 'import secrets; print(secrets.token_urlsafe(50))'""",
        ".venv/bin/python manage.py keyset create --file /etc/conduit/keyset.json":
            '"$python" manage.py keyset create --file "$CONDUIT_KEYSET_FILE"',
        "bash bin/start": 'bash bin/start "$@"',
    }
    commands = runbook()
    assert len(commands) == len(set(commands))
    for command in commands:
        assert command in run_by_this_module or command in run_by_prod_local, (
            f"the runbook's {command!r} is run by neither bin/prod-local nor this test")
        if command in run_by_prod_local:
            assert run_by_prod_local[command] in prod_local, command
    assert set(commands) == run_by_this_module.keys() | run_by_prod_local.keys()
    # "set the variables of the table above": every variable production requires is there.
    table = (ROOT / "README.md").read_text().split("## Run it in production", 1)[1]
    table = table.split("### ", 1)[0]
    for name in (*REQUIRED_IN_PRODUCTION, "CONDUIT_KEYSET", "CONDUIT_KEYSET_FILE"):
        assert f"`{name}`" in table, name


def test_release_runs_before_the_processes_and_readyz_is_ok(production):
    # Polled: under load the worker's ping can miss one probe; readiness is what is asserted.
    answer = wait_for(f"{production.base_url}/readyz", production.cert, status=200, timeout=60)
    assert answer.json()["checks"] == {name: "ok" for name in
                                       ("database", "migrations", "redis", "cache", "worker")}
    log = production.log_path.read_text()
    assert log.index("release: migrations applied") < log.index("web.1")
    assert "beat: this beat sends the schedule" in log
    assert not list(ROOT.glob("celerybeat-schedule*"))


def test_the_production_environment_holds_no_test_tool(production):
    listed = subprocess.run(  # noqa: S603
        [production.python, "-c", "import importlib.metadata as m; "
         "print('\\n'.join(sorted({d.metadata['Name'].lower() for d in m.distributions()})))"],
        capture_output=True, text=True, timeout=60, check=True)
    installed = set(listed.stdout.split())
    print("the production environment holds:", " ".join(sorted(installed)))
    assert {"django", "gunicorn", "celery"} <= installed
    assert not TEST_TOOLS & installed


def test_plain_http_is_not_served_and_healthz_answers_over_https(production):
    assert requests.get(f"{production.base_url}/healthz", verify=production.cert,
                        timeout=10).json() == {"status": "ok"}
    with pytest.raises(requests.ConnectionError):
        requests.get(production.base_url.replace("https", "http") + "/healthz", timeout=5)


def test_runbook_team_create_then_the_admin_uses_the_console_over_https(production,
                                                                        first_admin):
    session = log_in(production.base_url, production.cert, first_admin.username)
    console = session.get(f"{production.base_url}/admin/", timeout=10)
    assert console.status_code == 200
    assert first_admin.team in session.get(f"{production.base_url}/admin/approvals/team/",
                                           timeout=10).text
    assert session.cookies.get("__Host-sessionid")


def connect_asana(production: Production, session: requests.Session) -> str:
    """The admin installs Asana for the team and connects at the sandbox; the account's id."""
    base = production.base_url
    page = session.get(f"{base}/integrations/asana/connect", timeout=10)
    assert page.status_code == 200, page.text[:2000]
    installed = session.post(f"{base}/integrations/asana/connect", timeout=10, data={
        "csrfmiddlewaretoken": CSRF_FIELD.search(page.text).group(1)},
        headers={"Referer": f"{base}/integrations/asana/connect"})
    assert installed.status_code == 200, installed.text[:2000]
    start = session.get(f"{base}/integrations/asana/connect", params={"consent": "continue"},
                        allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text[:2000]
    path, params = consent(production.asana, start.headers["Location"])
    finish = session.get(f"{base}{path}", params=params, allow_redirects=False, timeout=30)
    assert finish.status_code == 302, finish.text[:2000]
    accounts = session.get(f"{base}/admin/tokens/connectedaccount/", timeout=10).text
    (account_id,) = re.findall(r'name="_selected_action" value="([^"]+)"', accounts)
    return account_id


def scrape(production: Production) -> str:
    answer = requests.get(f"{production.base_url}/metrics", verify=production.cert, timeout=10,
                          headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert answer.status_code == 200, answer.text[:500]
    return answer.text


REFRESH_CALL = {"provider": "asana", "method": "POST", "endpoint": "/-/oauth_token",
                "status": "200"}


def test_a_refresh_asked_for_in_the_console_is_done_by_the_worker_under_the_requests_id(
        production, first_admin):
    session = log_in(production.base_url, production.cert, first_admin.username)
    account_id = connect_asana(production, session)
    before = scrape(production)
    production.asana.clear_requests()
    changelist = f"{production.base_url}/admin/tokens/connectedaccount/"
    form = session.get(changelist, timeout=10).text
    asked = session.post(changelist, allow_redirects=False, timeout=30, data={
        "csrfmiddlewaretoken": CSRF_FIELD.search(form).group(1), "action": "refresh_tokens",
        "_selected_action": account_id}, headers={"Referer": changelist})
    assert asked.status_code == 302, asked.text[:2000]
    request_id = asked.headers["X-Request-ID"]

    # The sandbox's log: one refresh grant, made after the request.
    grants = eventually(lambda: [entry for entry in production.asana.requests("/-/oauth_token")
                                 if entry["grant_type"] == "refresh_token"],
                        what="the sandbox received a refresh grant")
    assert len(grants) == 1 and grants[0]["method"] == "POST"

    # The JSON logs: the web's access line and the worker's provider call carry one id.
    def lines_of_the_request() -> list[tuple[str, dict]]:
        return [(name, line) for name, line in process_lines(production.log_path.read_text())
                if line.get("request_id") == request_id]

    def worker_call() -> list[dict]:
        return [line for name, line in lines_of_the_request() if name.startswith("worker")
                and line["logger"] == "integrations.egress.calls"]

    (call,) = eventually(worker_call, what=f"a worker provider call with id {request_id}")
    assert {key: call[f"provider_{key}"] for key in REFRESH_CALL} == REFRESH_CALL
    assert call["task_name"] == "tokens.refresh_account" and call["duration_ms"] >= 0
    access = [line for name, line in lines_of_the_request()
              if name.startswith("web") and line["logger"] == "gunicorn.access"]
    assert [(line["http_method"], line["path"]) for line in access] == [
        ("POST", "/admin/tokens/connectedaccount/")]

    # /metrics (the token): that provider call with its latency, and the refresh's outcome.
    def counted(text: str, name: str, **labels: str) -> float:
        return metric_value(text, name, **labels) or 0

    after = eventually(lambda: (text := scrape(production)) and counted(
        text, "conduit_token_refreshes_total", outcome="refreshed") > counted(
        before, "conduit_token_refreshes_total", outcome="refreshed") and text,
        what="the refresh outcome on /metrics")
    assert counted(after, "conduit_token_refreshes_total", outcome="refreshed") == counted(
        before, "conduit_token_refreshes_total", outcome="refreshed") + 1
    for sample in ("conduit_provider_calls_total",
                   "conduit_provider_call_duration_seconds_count"):
        assert counted(after, sample, **REFRESH_CALL) == counted(before, sample,
                                                                 **REFRESH_CALL) + 1
    assert counted(after, "conduit_provider_call_duration_seconds_bucket", le="+Inf",
                   **REFRESH_CALL) == counted(after, "conduit_provider_calls_total",
                                              **REFRESH_CALL)
    assert counted(after, "conduit_provider_call_duration_seconds_sum", **REFRESH_CALL) > 0


def test_redis_down_readyz_names_redis_and_login_still_works(production, first_admin,
                                                             tmp_path):
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
        session = log_in(base_url, production.cert, first_admin.username)
        assert session.get(f"{base_url}/", timeout=10).status_code == 200
    finally:
        stop(web)


def test_database_down_pages_answer_503_and_release_prints_one_line(production, first_admin,
                                                                    tmp_path):
    session = log_in(production.base_url, production.cert, first_admin.username)
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
