"""The compatibility check (`manage.py jira_check URL`) against the real Jira simulator."""

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from integrations.jira_server import checks
from tests.fixtures.jira import jira_seed_state

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def jira(jira_sandbox):
    with jira_seed_state(jira_sandbox) as jira_clean:
        yield jira_clean


def run_check(url: str) -> tuple[str, CommandError | None]:
    out = io.StringIO()
    try:
        call_command("jira_check", url, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_jira_check_passes_version_8_5_0_and_states_the_loopback_exception(jira):
    jira.control("version", version="8.5.0")
    report, error = run_check(jira.base_url)
    assert error is None
    assert checks.VERSION_SUPPORTED.format(version="8.5.0") in report
    assert "Result: PASS" in report and "warnings" not in report
    assert "Loopback exception applied" in report
    assert "EGRESS_ALLOW_LOOPBACK" in report


def test_jira_check_warns_for_another_8x_version(jira):
    jira.control("version", version="8.22.0")
    report, error = run_check(jira.base_url)
    assert error is None
    assert checks.VERSION_OTHER_8.format(version="8.22.0") in report
    assert checks.VERSION_OTHER_8_ADVICE in report
    assert "Result: PASS with warnings" in report


def test_jira_check_fails_version_7_2_0_with_what_to_change(jira):
    jira.control("version", version="7.2.0")
    report, error = run_check(jira.base_url)
    assert error is not None and error.returncode == 1
    assert checks.VERSION_TOO_OLD.format(version="7.2.0") in report
    assert "What to change: " + checks.VERSION_UNSUPPORTED_ADVICE in report
    assert "Result: FAIL (1 requirement not met)" in report


def test_jira_check_fails_jira_9_which_removed_createmeta(jira):
    jira.control("version", version="9.4.0")
    report, error = run_check(jira.base_url)
    assert error is not None
    assert checks.VERSION_TOO_NEW.format(version="9.4.0") in report


def test_jira_check_fails_an_unreachable_host():
    url = f"http://127.0.0.1:{closed_port()}"
    report, error = run_check(url)
    assert error is not None and error.returncode == 1
    origin = url
    assert checks.SERVER_INFO_UNREACHABLE.format(origin=origin, reason="connection refused") in report
    assert checks.REACHABILITY_ADVICE in report
    assert f"[SKIPPED] {checks.TITLES['version']}" in report


def test_jira_check_command_exits_non_zero_on_failure_and_zero_on_success(jira):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    command = [sys.executable, str(ROOT / "manage.py"), "jira_check"]
    failed = subprocess.run([*command, f"http://127.0.0.1:{closed_port()}"], cwd=ROOT,
                            env=environment, capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1
    assert "Result: FAIL" in failed.stdout and "is not compatible" in failed.stderr
    passed = subprocess.run([*command, jira.base_url], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=60)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Result: PASS" in passed.stdout


@override_settings(EGRESS_ALLOW_LOOPBACK=False)
def test_without_the_loopback_exception_plain_http_and_loopback_fail_before_any_request(jira):
    jira.clear_requests()
    report, error = run_check(jira.base_url)
    assert error is not None
    assert checks.HTTPS_MISSING in report and checks.HTTPS_ADVICE in report
    assert "which is loopback" in report
    assert "Loopback exception" not in report
    assert jira.requests("/rest/") == []


def test_private_address_fails_with_the_internal_external_dns_advice():
    report = checks.compatibility_check("https://10.20.30.40/jira")
    item = report.item("public_address")
    assert item.status == checks.FAIL
    assert "10.20.30.40, which is private" in item.message
    assert "Split DNS" in item.advice and "proxyName" in item.advice
    assert report.item("server_info").status == checks.SKIPPED


def test_an_html_login_page_instead_of_json_fails_with_advice(jira):
    jira.control("html_mode", enabled=True)
    report = checks.compatibility_check(jira.base_url)
    item = report.item("server_info")
    assert item.status == checks.FAIL
    assert item.message == checks.SERVER_INFO_HTML.format(content_type="text/html")
    assert item.advice == checks.HTML_ADVICE


def test_a_base_url_jira_does_not_know_as_its_own_is_a_warning(jira):
    other_name = jira.base_url.replace("127.0.0.1", "localhost")
    report = checks.compatibility_check(other_name)
    item = report.item("base_url")
    assert item.status == checks.WARNING
    assert "signature_invalid" in item.advice
    assert report.outcome == checks.WARNING


def test_a_pasted_jira_page_is_checked_at_its_base_url(jira):
    report = checks.compatibility_check(jira.base_url + "/secure/Dashboard.jspa")
    assert report.base_url == jira.base_url
    assert report.outcome == checks.PASS


@pytest.mark.parametrize(("version", "outcome"), [
    ("7.13.4", checks.FAIL), ("7.13.5", checks.PASS), ("8.0.0", checks.PASS),
    ("8.21.1", checks.PASS), ("8.21.2", checks.WARNING), ("8.22.0", checks.WARNING),
    ("8.2.0-beta", checks.PASS), ("9.0.0", checks.FAIL), ("6.4.14", checks.FAIL),
    ("not-a-version", checks.FAIL),
])
def test_supported_version_boundaries(version, outcome):
    assert checks.version_item(version).status == outcome
