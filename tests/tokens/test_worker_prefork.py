"""The Procfile's worker, as production runs it: a prefork pool (forked child processes), JSON
log lines and an operator's quiet LOG_LEVEL, reports ready, answers a ping and runs tasks, and
writes none of Conduit's INFO lines (one per provider call) below that LOG_LEVEL.

A worker started with `--loglevel INFO` used to print only its banner when LOG_LEVEL was
WARNING: Celery's `setup_logging` hook applied Django's LOGGING and dropped the command's own
level, so "Connected to redis" and "ready." never reached the log, and whatever waits for that
line (a supervisor's start check, the bench) waited for ever.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.tokens.lifecycle_fixtures import (
    celery_client,
    expiring_accounts,
    start_worker,
    stop_worker,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

QUIET_PRODUCTION_LOGS = {"LOG_LEVEL": "WARNING", "LOG_FORMAT": "json"}


@contextmanager
def quiet_prefork_worker(asana_sandbox, log_path, *, name: str,
                         concurrency: int) -> Iterator[tuple[object, str]]:
    """A prefork worker logging as production does at LOG_LEVEL=WARNING, on a queue of its own,
    and a client for it: (client, queue). start_worker raises when "ready." is not logged
    within 60 s."""
    run = os.environ.get("CONDUIT_TEST_RUN", str(os.getpid()))
    queue = f"conduit-{name}-{run}"
    process = start_worker(asana_sandbox=asana_sandbox, queue=queue, log_path=log_path,
                           pool="prefork", concurrency=concurrency,
                           environment=QUIET_PRODUCTION_LOGS)
    client = celery_client(name)
    try:
        yield client, queue
    finally:
        stop_worker(process)
        client.close()


def test_prefork_worker_reports_ready_at_a_quiet_log_level_and_runs_tasks(asana_sandbox,
                                                                          tmp_path):
    log_path = tmp_path / "worker.log"
    with quiet_prefork_worker(asana_sandbox, log_path, name="prefork-test",
                              concurrency=2) as (client, queue):
        node = f"{queue}@{socket.gethostname()}"
        answers = client.control.ping(destination=[node], timeout=10)
        # Tasks run in the forked children: each reads the database and answers "gone" for an
        # account that does not exist.
        results = [client.send_task("tokens.refresh_account", args=[str(uuid.uuid4())],
                                    queue=queue) for _ in range(4)]
        outcomes = [result.get(timeout=30) for result in results]

    assert answers == [{node: {"ok": "pong"}}]
    assert outcomes == ["gone"] * 4
    log = log_path.read_text(errors="replace")
    assert "Connected to redis" in log
    assert "prefork" in log


def test_worker_at_a_quiet_log_level_writes_no_line_per_refresh(asana, asana_team, asana_sandbox,
                                                                 tmp_path):
    accounts = expiring_accounts(asana, asana_team.team, 3)
    log_path = tmp_path / "worker.log"
    with quiet_prefork_worker(asana_sandbox, log_path, name="quiet-test",
                              concurrency=1) as (client, queue):
        outcome = client.send_task("tokens.refresh_accounts",
                                   args=[[str(account.pk) for account in accounts]],
                                   queue=queue).get(timeout=30)

    assert outcome == {"refreshed": 3}
    log = log_path.read_text(errors="replace")
    assert "ready." in log  # Celery's own lines, at the command's --loglevel INFO
    assert "provider call" not in log  # Conduit's INFO lines, below LOG_LEVEL=WARNING
