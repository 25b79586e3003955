"""Suite-wide fixtures, the socket guard, and the rule that CI never skips.

Under CI=true a skipped test is a failed run: every skip is turned into a failure of that test
(with its reason), and a skip that happens outside a test (collection) fails the session, so a
missing browser or a missing `../shared` can never make CI green by running less. Outside CI a
skip prints its reason (pyproject's `-ra`).

The guard refuses, before any packet leaves, every connection to an address outside
127.0.0.0/8 and ::1, and records what it refused: a broken egress check can never send traffic
elsewhere, and tests can assert on the record (`refused_connections`).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator

import pytest

pytest_plugins = ["tests.fixtures.asana", "tests.fixtures.jira", "tests.fixtures.people"]

REFUSED: list[tuple[str, object]] = []
_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


class RefusedBySocketGuard(ConnectionRefusedError):
    """Raised instead of connecting anywhere but loopback."""


def _is_loopback(address: object) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    try:
        ip = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False  # a name here means something skipped resolution: refuse it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return False  # ::ffff:127.0.0.1 is how guards get tricked; the suite never needs it
    return ip.is_loopback


def _check(sock: socket.socket, address: object) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        REFUSED.append((sock.family.name, address))
        raise RefusedBySocketGuard(f"socket guard: connection to {address!r} refused in tests")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(self, address)
    return _original_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(self, address)
    return _original_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


@pytest.fixture
def refused_connections() -> list[tuple[str, object]]:
    """The guard's record, emptied for this test."""
    REFUSED.clear()
    yield REFUSED
    REFUSED.clear()


# -- process caches --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def process_caches_emptied() -> Iterator[None]:
    """Each test starts with this process's caches (config.process_cache) empty: a test's rolled
    back rows fire no signal, and a flushed database reuses ids."""
    from config.process_cache import forget_every_cache_locally

    forget_every_cache_locally()
    yield


# -- Celery's current app ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def celery_current_app_kept() -> Iterator[None]:
    """Conduit's Celery app stays the current one: `shared_task`s resolve their app through it,
    so a test (or a session fixture) that made another app current, such as a `Celery()` client
    built without `set_as_current=False`, would leave every later `.delay()` of the session
    non-eager, sent to Redis rather than run. Put back, and the test that did it errors."""
    from celery import current_app

    from config.celery import app

    yield
    current = current_app._get_current_object()
    if current is not app:
        app.set_current()
        pytest.fail(f"the test left Celery's current app as {current.main!r}, not Conduit's "
                    "(build clients with set_as_current=False)", pytrace=False)


# -- CI never skips ---------------------------------------------------------------------------

CI_SKIP_FAILED = "skipped under CI=true, where every test must run: {reason}"


def running_in_ci() -> bool:
    """CI=true (or 1/yes), as GitHub Actions, GitLab and .ci/run set it."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def skip_or_fail_in_ci(reason: str) -> None:
    """Skip with `reason` on a developer's machine; fail with it under CI=true."""
    if running_in_ci():
        pytest.fail(CI_SKIP_FAILED.format(reason=reason), pytrace=False)
    pytest.skip(reason)


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if running_in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = CI_SKIP_FAILED.format(reason=_skip_reason(report))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not running_in_ci():
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = [] if reporter is None else [
        report for report in reporter.stats.get("skipped", [])
        if not hasattr(report, "wasxfail")
    ]
    if skipped:
        for report in skipped:
            reason = CI_SKIP_FAILED.format(reason=_skip_reason(report))
            session.config.get_terminal_writer().line(f"{report.nodeid}: {reason}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
