"""Loopback egress is an explicit opt-in (`EGRESS_ALLOW_LOOPBACK`), never implied by the
environment: a team admin's Jira URL pointing at 127.0.0.1:5432 must not be reachable from a
plain local or test run that did not ask for it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Imports the product's own settings (not tests.settings, which opts in) and asks the egress
# guard about a local PostgreSQL port.
PROBE = """
import django
django.setup()
from django.conf import settings
from integrations.egress.policy import EgressRefused, check_destination
try:
    check_destination("http://127.0.0.1:5432/", extra_hosts=["127.0.0.1"])
    verdict = "allowed"
except EgressRefused as error:
    verdict = "refused: " + error.reason
print(settings.EGRESS_ALLOW_LOOPBACK)
print(verdict)
"""


def probe(tmp_path: Path, **overrides: str) -> list[str]:
    environment = {
        key: value for key, value in os.environ.items()
        if key not in {"EGRESS_ALLOW_LOOPBACK", "DJANGO_SETTINGS_MODULE", "DJANGO_ENV"}
    }
    environment.update(DJANGO_SETTINGS_MODULE="config.settings",
                       CONDUIT_LOCAL_DIR=str(tmp_path), **overrides)
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-2:]


@pytest.mark.parametrize("django_env", ["local", "test"])
def test_loopback_egress_is_off_unless_asked_for(tmp_path, django_env):
    flag, verdict = probe(tmp_path, DJANGO_ENV=django_env)
    assert flag == "False"
    assert verdict.startswith("refused: ")


def test_loopback_egress_is_on_when_asked_for(tmp_path):
    flag, verdict = probe(tmp_path, DJANGO_ENV="local", EGRESS_ALLOW_LOOPBACK="true")
    assert (flag, verdict) == ("True", "allowed")
