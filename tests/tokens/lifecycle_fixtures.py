"""Fixtures of the account-lifecycle tests: the Asana sandbox wired into settings, connected
accounts with real sandbox tokens, the browser's consent step, and a real Celery worker.

The worker (`tokens_worker`) is one subprocess per test session with the same environment as
the tests: the per-run test database (its name passed as DATABASE_URL), the same keyset and
client secret (CONDUIT_LOCAL_DIR is inherited), the sandbox's URLs, CELERY_TASK_ALWAYS_EAGER off
the run's own Redis database (REDIS_URL) and its own queue, so it can never take another run's
tasks. The database is whatever the run uses: PostgreSQL, or SQLite when DATABASE_URL says so.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from celery import Celery
from django.db import connection
from django.utils import timezone

from approvals.models import Installation
from integrations.sandbox.asana.seed import ADA
from tests.factories import make_admin, make_member, make_team
from tests.fixtures.asana import _ConsentForm
from tests.fixtures.sandbox_process import SandboxControl
from tokens.models import ConnectedAccount

ROOT = Path(__file__).resolve().parents[2]
WORKER_VISIBILITY_TIMEOUT = 10  # seconds; the tests' longest task takes about 2


def sandbox_options(sandbox: SandboxControl, **options) -> None:
    sandbox.control("options", **{"token_lifetime": 3600, "rotate_refresh_tokens": True,
                                  "refresh_reuse_seconds": 0, **options})
    sandbox.control("lose_refresh_answers", times=0)


@pytest.fixture
def asana(asana_sandbox: SandboxControl, settings) -> Iterator[SandboxControl]:
    """The session's Asana sandbox, clean for this test, and the settings pointing at it."""
    settings.ASANA_OAUTH_URL = asana_sandbox.url("/-/")
    settings.ASANA_API_URL = asana_sandbox.url("/api/1.0")
    asana_sandbox.clear_faults()
    sandbox_options(asana_sandbox)
    asana_sandbox.clear_requests()
    yield asana_sandbox
    asana_sandbox.clear_faults()
    sandbox_options(asana_sandbox)


def refresh_grants(sandbox: SandboxControl) -> list[dict]:
    return [entry for entry in sandbox.requests("/-/oauth_token")
            if entry["grant_type"] == "refresh_token"]


@dataclass
class Setup:
    team: object
    admin: object
    member: object


@pytest.fixture
def asana_team(db) -> Setup:
    """A Business team with Asana installed, an admin and a member."""
    team = make_team("Acme")
    admin = make_admin(team, "acme-admin")
    member = make_member(team, "alice")
    Installation.objects.create(team=team, integration="asana", installed_by=admin)
    return Setup(team=team, admin=admin, member=member)


def issue_tokens(sandbox: SandboxControl, user_gid: str = ADA) -> dict:
    """A real token pair from the sandbox (its issue_token control), as /-/oauth_token gives."""
    return sandbox.control("issue_token", user=user_gid)


def make_connected_account(sandbox: SandboxControl, *, user, team, expired: bool = False,
                           user_gid: str = ADA) -> tuple[ConnectedAccount, dict]:
    """An Asana account holding sandbox tokens; `expired` expires them here and at Asana.

    A revoked account is kept (status revoked, no credentials), so connecting again reuses
    its row as account_connect_finish does: the one-row-per-user-team-integration constraint
    holds."""
    body = issue_tokens(sandbox, user_gid)
    account = (
        ConnectedAccount.objects.filter(user=user, team=team, integration="asana").first()
        or ConnectedAccount(user=user, team=team, integration="asana")
    )
    account.provider_account_id = body["data"]["gid"]
    account.provider_account_name = body["data"]["name"]
    account.expires_at = timezone.now() + timedelta(seconds=body["expires_in"])
    account.last_used_at = timezone.now()
    account.status = ConnectedAccount.Status.ACTIVE
    account.revoked_at = None
    account.revoked_by = None
    account.revoked_reason = ""
    account.consecutive_failures = 0
    account.access_token = body["access_token"]
    account.refresh_token = body["refresh_token"]
    account.save()
    if expired:
        expire(sandbox, account)
    return account, body


def expire(sandbox: SandboxControl, account: ConnectedAccount) -> None:
    sandbox.control("expire_token", access_token=account.access_token)
    ConnectedAccount.objects.filter(pk=account.pk).update(
        expires_at=timezone.now() - timedelta(seconds=5)
    )


def expiring_accounts(sandbox: SandboxControl, team, count: int) -> list[ConnectedAccount]:
    """`count` accounts of new members of `team` whose tokens expired, here and at Asana; the
    sandbox's request log is cleared after."""
    accounts = []
    for number in range(count):
        user = make_member(team, f"expiring-{number}")
        account, _ = make_connected_account(sandbox, user=user, team=team)
        expire(sandbox, account)
        accounts.append(ConnectedAccount.objects.get(pk=account.pk))
    sandbox.clear_requests()
    return accounts


# -- the browser's step at the provider ---------------------------------------------------------


def consent(sandbox: SandboxControl, authorize_url: str, *, decision: str = "allow",
            user_gid: str = ADA) -> tuple[str, dict[str, str]]:
    """Open the provider's consent page at `authorize_url` as a browser would and answer it;
    returns the redirect target's path and query parameters. A sandbox speaking HTTPS is
    verified as its control session is (`sandbox.http.verify`)."""
    browser = requests.Session()
    browser.verify, browser.trust_env = sandbox.http.verify, sandbox.http.trust_env
    page = browser.get(authorize_url, timeout=5)
    page.raise_for_status()
    form = _ConsentForm()
    form.feed(page.text)
    answer = browser.post(sandbox.url(form.action),
                          data={**form.fields, "user": user_gid, "decision": decision},
                          allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    target = urlsplit(answer.headers["Location"])
    return target.path, {key: values[0] for key, values in parse_qs(target.query).items()}


# -- a real Celery worker ---------------------------------------------------------------------


@dataclass
class Worker:
    queue: str
    broker_url: str
    client: Celery
    log_path: Path
    process: subprocess.Popen | None = None

    def send(self, name: str, *args) -> object:
        return self.client.send_task(name, args=list(args), queue=self.queue)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def database_url() -> str:
    """The test database as a URL for a subprocess: PostgreSQL, or the SQLite file."""
    settings_dict = connection.settings_dict
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(settings_dict['NAME']).resolve()}"
    return f"postgres://postgres@127.0.0.1:5432/{settings_dict['NAME']}"


def broker_url() -> str:
    """The run's own Redis database (REDIS_URL), so no other run's unacknowledged messages are
    ever restored by this run's workers, whose visibility timeout is short."""
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def celery_client(name: str) -> Celery:
    """A Celery app that only sends tasks to the test workers over the run's Redis database.

    Not set as Celery's current app (`set_as_current=False`): a `Celery()` made with the default
    becomes the current app of the whole test process, so every `shared_task` (`.delay()` in
    the code under test) would resolve to this non-eager client for the rest of the session and
    send its tasks to Redis instead of running them eagerly in `config.celery.app`."""
    return Celery(name, broker=broker_url(), backend=broker_url(), set_as_current=False)


def start_worker(*, asana_sandbox: SandboxControl, queue: str, log_path: Path, pool: str = "threads",
                 concurrency: int = 8, visibility_timeout: int = WORKER_VISIBILITY_TIMEOUT,
                 environment: dict[str, str] | None = None, start_timeout: float = 60,
                 ) -> subprocess.Popen:
    """A `celery worker` subprocess on the test database, consuming `queue`; returns when it
    logs "ready." (within `start_timeout` seconds). Its visibility timeout is short so that a
    killed worker's task comes back within seconds; it is still above the longest task the
    tests run. `environment` adds to (or overrides) the worker's environment."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": broker_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        # What its tasks publish (a sweep chunk's deferred rest, an account's own retry) comes
        # back to this worker, not to a default queue no test worker consumes.
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_VISIBILITY_TIMEOUT_SECONDS": str(visibility_timeout),
        "ASANA_OAUTH_URL": asana_sandbox.url("/-/"),
        "ASANA_API_URL": asana_sandbox.url("/api/1.0"),
        "PYTHONUNBUFFERED": "1",
        **(environment or {}),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "config", "--result-backend", broker_url(),
        "worker", "--pool", pool, "--concurrency", str(concurrency), "-Q", queue,
        "--hostname", f"{queue}@%h", "--without-gossip", "--without-mingle",
        "--without-heartbeat", "--loglevel", "INFO",
    ]
    with log_path.open("a") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,  # noqa: S603
                                   stderr=subprocess.STDOUT)
    deadline = time.monotonic() + start_timeout
    while "ready." not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("celery worker did not start:\n" + log_path.read_text())
        time.sleep(0.1)
    return process


def stop_worker(process: subprocess.Popen) -> None:
    """Stops a child process (a worker, a web server): SIGTERM, then SIGKILL after 15 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def tokens_worker(django_db_setup, django_db_blocker, asana_sandbox, tmp_path_factory
                  ) -> Iterator[Worker]:
    run = os.environ.get("CONDUIT_TEST_RUN", str(os.getpid()))
    queue = f"conduit-tokens-test-{run}"
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    with django_db_blocker.unblock():
        process = start_worker(asana_sandbox=asana_sandbox, queue=queue, log_path=log_path)
    client = celery_client("tokens-tests")
    client.conf.task_default_queue = queue
    try:
        yield Worker(queue=queue, broker_url=broker_url(), client=client, log_path=log_path,
                     process=process)
    finally:
        stop_worker(process)
        client.close()


def usable_accounts():
    """The accounts still holding credentials (revoked ones stay listed, without any)."""
    from tokens.models import ConnectedAccount

    return ConnectedAccount.objects.exclude(status=ConnectedAccount.Status.REVOKED)


def assert_revoked(account, *, reason: str) -> None:
    """The account is kept as revoked, with why, and holds no credential any more."""
    from tokens.models import ConnectedAccount

    kept = ConnectedAccount.objects.get(pk=account.pk)
    assert kept.status == ConnectedAccount.Status.REVOKED
    assert kept.revoked_at is not None and kept.revoked_reason == reason
    assert (kept.access_token, kept.refresh_token, kept.token_secret) == (None, None, None)
