"""CI cannot go green by skipping: with Chromium unavailable, a browser test skips (with its
reason) on a developer's machine and fails under CI=true, and `.ci/chromium` fails under CI=true.

Each case runs the real command in a subprocess with Chromium hidden (CHROMIUM_PATH pointing
nowhere; PATH without chromium or apt-get for the script).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import CI_SKIP_FAILED

ROOT = Path(__file__).resolve().parents[1]
BROWSER_TEST = ("tests/browser/test_board_page.py::"
                "test_member_opens_a_board_and_a_card_with_its_stored_fields")
CI_PREFIX = CI_SKIP_FAILED.split("{", 1)[0]


def without_chromium(tmp_path: Path, *, ci: bool) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items()
                   if key not in {"CI", "CONDUIT_TEST_RUN", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    environment["CHROMIUM_PATH"] = str(tmp_path / "no-chromium-here")
    if ci:
        environment["CI"] = "true"
    return environment


def run_browser_test(tmp_path: Path, *, ci: bool) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-x", "-rs",
               BROWSER_TEST]
    return subprocess.run(command, cwd=ROOT, env=without_chromium(tmp_path, ci=ci),
                          capture_output=True, text=True, timeout=240)


def test_a_browser_test_fails_under_ci_and_skips_elsewhere_without_chromium(tmp_path):
    in_ci = run_browser_test(tmp_path, ci=True)
    assert in_ci.returncode == 1, in_ci.stdout[-3000:]
    assert CI_PREFIX in in_ci.stdout and "chromium" in in_ci.stdout
    summary = in_ci.stdout.strip().splitlines()[-1]  # "1 error in 0.7s": the fixture failed
    assert ("failed" in summary or "error" in summary) and "skipped" not in summary

    elsewhere = run_browser_test(tmp_path, ci=False)
    assert elsewhere.returncode == 0, elsewhere.stdout[-3000:]
    assert "SKIPPED" in elsewhere.stdout and "chromium is not at" in elsewhere.stdout


def test_ci_chromium_script_fails_under_ci_when_chromium_is_missing(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("id", "bash"):  # no chromium, no apt-get: it cannot be installed
        (bin_dir / tool).symlink_to(subprocess.check_output(["which", tool], text=True).strip())
    environment = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    script = str(ROOT / ".ci" / "chromium")
    in_ci = subprocess.run([str(bin_dir / "bash"), script], env={**environment, "CI": "true"},
                           capture_output=True, text=True, timeout=60)
    assert in_ci.returncode == 1 and "CI=true needs the browser tests" in in_ci.stderr
    elsewhere = subprocess.run([str(bin_dir / "bash"), script], env=environment,
                               capture_output=True, text=True, timeout=60)
    assert elsewhere.returncode == 0 and "the browser tests will skip" in elsewhere.stdout
