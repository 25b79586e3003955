"""The exactly-once refresh race on SQLite, the local trial's embedded database.

SQLite ignores SELECT ... FOR UPDATE, so the race test of test_race.py runs again in a pytest
subprocess whose database is a SQLite file (DATABASE_URL), with its own sandbox and worker (its
own CONDUIT_TEST_RUN, hence its own queue; its working directory is a temporary one, where the
SQLite test database file is created). Before immediate-mode transactions
(config/settings.py), that run failed with OperationalError "database is locked". The same run
takes sqlite_locked.py: a lock not obtained in time is a 503 "busy", not a 500.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RACE_TEST = "tests/tokens/test_race.py::test_concurrent_callers_refresh_an_expired_token_exactly_once"
LOCKED_TEST = "tests/tokens/sqlite_locked.py"  # SQLite-only, so not collected by name

pytestmark = pytest.mark.worker


def test_concurrent_callers_refresh_exactly_once_and_a_locked_database_is_no_500_on_sqlite(
        tmp_path):
    run = f"{os.environ.get('CONDUIT_TEST_RUN', os.getpid())}-sqlite"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'conduit.sqlite3'}",
           "CONDUIT_TEST_RUN": run, "CONDUIT_RACE_ROUNDS": "10"}
    result = subprocess.run(  # noqa: S603 - this interpreter and pytest
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c",
         str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT), str(ROOT / RACE_TEST), str(ROOT / LOCKED_TEST)],
        cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=280,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout
