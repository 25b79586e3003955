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

import pytest

from tests.tokens.lifecycle_fixtures import (
    celery_client,
    expiring_accounts,
    start_worker,
    stop_worker,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

QUIET_PRODUCTION_LOGS = {"LOG_LEVEL": "WARNING", "LOG_FORMAT": "json"}


def test_prefork_worker_reports_ready_at_a_quiet_log_level_and_runs_tasks(asana_sandbox,
                                                                          tmp_path):
    run = os.environ.get("CONDUIT_TEST_RUN", str(os.getpid()))
    queue = f"conduit-prefork-test-{run}"
    log_path = tmp_path / "worker.log"
    # start_worker raises when "ready." is not logged within 60 s.
    process = start_worker(asana_sandbox=asana_sandbox, queue=queue, log_path=log_path,
                           pool="prefork", concurrency=2, environment=QUIET_PRODUCTION_LOGS)
    client = celery_client("prefork-test")
    try:
        node = f"{queue}@{socket.gethostname()}"
        answers = client.control.ping(destination=[node], timeout=10)
        # Tasks run in the forked children: each reads the database and answers "gone" for an
        # account that does not exist.
        results = [client.send_task("tokens.refresh_account", args=[str(uuid.uuid4())],
                                    queue=queue) for _ in range(4)]
        outcomes = [result.get(timeout=30) for result in results]
    finally:
        stop_worker(process)
        client.close()

    assert answers == [{node: {"ok": "pong"}}]
    assert outcomes == ["gone"] * 4
    log = log_path.read_text(errors="replace")
    assert "Connected to redis" in log
    assert "prefork" in log


def test_worker_at_a_quiet_log_level_writes_no_line_per_refresh(asana, asana_team, asana_sandbox,
                                                                 tmp_path):
    accounts = expiring_accounts(asana, asana_team.team, 3)
    run = os.environ.get("CONDUIT_TEST_RUN", str(os.getpid()))
    queue = f"conduit-quiet-test-{run}"
    log_path = tmp_path / "worker.log"
    process = start_worker(asana_sandbox=asana_sandbox, queue=queue, log_path=log_path,
                           pool="prefork", concurrency=1, environment=QUIET_PRODUCTION_LOGS)
    client = celery_client("quiet-test")
    try:
        outcome = client.send_task("tokens.refresh_accounts",
                                   args=[[str(account.pk) for account in accounts]],
                                   queue=queue).get(timeout=30)
    finally:
        stop_worker(process)
        client.close()

    assert outcome == {"refreshed": 3}
    log = log_path.read_text(errors="replace")
    assert "ready." in log  # Celery's own lines, at the command's --loglevel INFO
    assert "provider call" not in log  # Conduit's INFO lines, below LOG_LEVEL=WARNING
