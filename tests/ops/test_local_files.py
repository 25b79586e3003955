"""`.local/` (the trial's secrets and SQLite database) is readable by its owner only."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_local_folder_and_database_are_owner_only(tmp_path):
    local = tmp_path / "local"
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env |= {"CONDUIT_LOCAL_DIR": str(local), "DJANGO_ENV": "local"}
    subprocess.run([sys.executable, "-c", "import django; from django.conf import settings; "  # noqa: S603
                    "import os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; "
                    "django.setup()"], cwd=ROOT, env=env, check=True, timeout=60)
    assert stat.S_IMODE(local.stat().st_mode) == 0o700
    for name in ("db.sqlite3", "secret_key"):
        assert stat.S_IMODE((local / name).stat().st_mode) == 0o600, name
