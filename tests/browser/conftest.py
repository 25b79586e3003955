"""Real Chromium (Debian's package) driven by Playwright, against the live server.

Every page a journey opens is watched: console errors and Content-Security-Policy violations
fail the test, and `shot(name)` saves a screenshot under artifacts/screenshots/ (CI keeps it).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail_in_ci

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        skip_or_fail_in_ci(f"Debian's chromium is not at {CHROMIUM} (.ci/chromium installs it)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test's thread; the tests' ORM calls are
    # still synchronous, so Django's async-safety guard is lifted while the browser is open
    # (subprocesses that must not inherit it, like the deploy check, drop it themselves).
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Chromium logs every HTTP error answer to a fetch as a console error, even when the page
# expects it and shows it (the API's 409 "connect first" is part of the contract).
FAILED_RESOURCE = re.compile(
    r"^console error: Failed to load resource: the server responded with a status of (\d{3})"
)


class WatchedPage:
    """A page plus what the browser reported while the journey ran."""

    def __init__(self, page, journey: str) -> None:
        self.page = page
        self.journey = journey
        self.problems: list[str] = []
        self.api_refusals: list[tuple[int, str]] = []  # (status, path) of refused API calls
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("response", self._on_response)

    def _on_response(self, response) -> None:
        path = "/" + response.url.split("/", 3)[-1] if "://" in response.url else response.url
        if response.status >= 400 and path.startswith("/api/v1/"):
            self.api_refusals.append((response.status, path.split("?", 1)[0]))

    def accept_api_refusals(self, expected: list[tuple[int, str]]) -> None:
        """The API refused exactly `expected` (status, path) and the page showed it: their
        "Failed to load resource" console lines are not problems. Anything else still is."""
        assert sorted(self.api_refusals) == sorted(expected)
        statuses = [status for status, _ in expected]
        kept = []
        for problem in self.problems:
            match = FAILED_RESOURCE.match(problem)
            if match and int(match[1]) in statuses:
                statuses.remove(int(match[1]))
            else:
                kept.append(problem)
        self.problems[:] = kept
        self.api_refusals.clear()

    def log_in_as(self, live_server, user) -> WatchedPage:
        """Give this browser context `user`'s session (force_login, no password typed)."""
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user)
        self.page.context.add_cookies([{
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url,
        }])
        self.page.set_default_timeout(10_000)
        return self

    def _on_console(self, message) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"console {message.type}: {message.text}")

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.journey}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def watched(browser, request) -> Iterator:
    """Open watched pages in fresh browser contexts (one per person in the journey)."""
    opened: list[WatchedPage] = []
    contexts = []

    def open_page(person: str = "user") -> WatchedPage:
        context = browser.new_context()
        contexts.append(context)
        watched_page = WatchedPage(context.new_page(), f"{request.node.name}-{person}")
        opened.append(watched_page)
        return watched_page

    yield open_page
    problems = [problem for page in opened for problem in page.problems]
    for context in contexts:
        context.close()
    assert problems == [], "the browser reported errors or CSP violations"


def board_ready(page) -> None:
    """Wait until the board page's script has attached its handlers (board.js marks <html>):
    a card clicked before that opens nothing."""
    from playwright.sync_api import expect

    expect(page.locator("html[data-board-ready=true]")).to_have_count(1)
