"""JSON logs of real processes: gunicorn with two workers and a Celery worker, at DEBUG.

Each test reads the log files of the session's `observed_stack` (tests/config/conftest.py)
and picks its own lines by the request id the response carried.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from approvals.models import Installation
from tests.factories import PASSWORD, make_admin, make_member, make_team
from tests.fixtures.observability import json_lines, with_request_id
from tests.tokens.lifecycle_fixtures import consent, make_connected_account, sandbox_options
from tokens.models import ConnectedAccount

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser(requests.Session):
    """A requests session that sends Conduit's Secure cookies over the tests' plain http, as
    browsers do for localhost."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", 15)
        response = super().request(*args, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False
        return response


def log_in(stack, username: str) -> tuple[Browser, requests.Response]:
    browser = Browser()
    page = browser.get(stack.url("/login"))
    csrf = CSRF_FIELD.search(page.text).group(1)
    answer = browser.post(stack.url("/login"), allow_redirects=False,
                          data={"username": username, "password": PASSWORD,
                                "csrfmiddlewaretoken": csrf},
                          headers={"Referer": stack.url("/login")})
    assert answer.status_code == 302, answer.text[:500]
    return browser, answer


def csrf_of(browser: Browser, stack, path: str) -> str:
    return CSRF_FIELD.search(browser.get(stack.url(path)).text).group(1)


def wait_for(predicate, *, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


@pytest.fixture
def sandbox(asana_sandbox):
    asana_sandbox.clear_faults()
    sandbox_options(asana_sandbox)
    asana_sandbox.clear_requests()
    return asana_sandbox


def test_response_carries_a_request_id_that_every_web_line_of_the_request_carries(
        observed_stack):
    answer = requests.get(observed_stack.url("/healthz"), timeout=10,
                          headers={"X-Request-ID": "lb-4f1c2a9e-0001"})
    assert answer.headers["X-Request-ID"] == "lb-4f1c2a9e-0001"
    lines = wait_for(lambda: with_request_id(json_lines(observed_stack.web_text()),
                                             "lb-4f1c2a9e-0001"))
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert len(access) == 1
    assert access[0]["path"] == "/healthz" and access[0]["status"] == "200"


def test_task_enqueued_by_a_request_logs_in_the_worker_with_the_requests_id(
        observed_stack, sandbox):
    team = make_team("Observed")
    member = make_member(team, "observed-member")
    Installation.objects.create(team=team, integration="asana",
                                installed_by=make_admin(team, "observed-admin"))
    make_connected_account(sandbox, user=member, team=team)
    browser, _ = log_in(observed_stack, "observed-member")
    csrf = csrf_of(browser, observed_stack, "/integrations/")

    answer = browser.post(observed_stack.url("/integrations/asana/disconnect"),
                          data={"csrfmiddlewaretoken": csrf}, allow_redirects=False,
                          headers={"Referer": observed_stack.url("/integrations/")})
    assert answer.status_code == 302
    request_id = answer.headers["X-Request-ID"]

    def revoke_call_in_worker() -> list[dict]:
        return [line for line in with_request_id(json_lines(observed_stack.worker_text()),
                                                 request_id)
                if line["logger"] == "integrations.egress.calls"]

    calls = wait_for(revoke_call_in_worker)
    assert calls, "the worker logged no provider call with the request's id"
    assert calls[0]["provider_provider"] == "asana"
    assert calls[0]["provider_endpoint"] == "/-/oauth_revoke"
    assert calls[0]["provider_status"] == "200"
    assert calls[0]["task_name"] == "tokens.send_revocation"
    assert sandbox.requests("/-/oauth_revoke"), "Asana received no revocation"


def test_one_line_per_login(observed_stack):
    make_member(make_team("Login"), "login-once")
    _, answer = log_in(observed_stack, "login-once")
    request_id = answer.headers["X-Request-ID"]
    time.sleep(1)  # the access line is written after the answer
    lines = with_request_id(json_lines(observed_stack.web_text()), request_id)
    assert [line["logger"] for line in lines] == ["gunicorn.access"], lines


def test_bad_host_is_one_warning_without_a_traceback(observed_stack):
    answer = requests.get(observed_stack.url("/login"), timeout=10,
                          headers={"Host": "attacker.example"})
    assert answer.status_code == 400
    request_id = answer.headers["X-Request-ID"]
    time.sleep(1)
    lines = with_request_id(json_lines(observed_stack.web_text()), request_id)
    django_lines = [line for line in lines if line["logger"] != "gunicorn.access"]
    assert [(line["level"], line["logger"]) for line in django_lines] == [
        ("WARNING", "django.security.DisallowedHost")], django_lines
    assert "exc_info" not in django_lines[0]
    assert "Traceback" not in observed_stack.web_text()


def test_connect_and_refresh_at_debug_log_no_secret(observed_stack, sandbox):
    team = make_team("Secretive")
    member = make_member(team, "secretive-member")
    Installation.objects.create(team=team, integration="asana",
                                installed_by=make_admin(team, "secretive-admin"))
    browser, _ = log_in(observed_stack, "secretive-member")
    # consent=continue: the pre-consent page's Continue, which goes on to Asana.
    start = browser.get(observed_stack.url("/integrations/asana/connect"),
                        params={"consent": "continue"}, allow_redirects=False)
    assert start.status_code == 302, start.text[:300]
    path, params = consent(sandbox, start.headers["Location"])
    finish = browser.get(observed_stack.url(path), params=params, allow_redirects=False)
    assert finish.status_code == 302, finish.text[:300]
    account = ConnectedAccount.objects.get(user=member)
    first_access, first_refresh = account.access_token, account.refresh_token
    ConnectedAccount.objects.filter(pk=account.pk).update(
        expires_at=timezone.now() + timedelta(seconds=30))

    from tests.tokens.lifecycle_fixtures import celery_client
    client = celery_client("observability-tests")
    try:
        result = client.send_task("tokens.refresh_account", args=[str(account.pk)],
                                  queue=observed_stack.queue,
                                  headers={"conduit_request_id": "refresh-test-0001"})
        assert result.get(timeout=30) == "refreshed"
    finally:
        client.close()
    account.refresh_from_db()
    assert account.access_token != first_access
    secrets = [first_access, first_refresh, account.access_token, account.refresh_token,
               params["code"], params["state"]]
    logs = observed_stack.web_text() + observed_stack.worker_text()
    worker_lines = with_request_id(json_lines(observed_stack.worker_text()), "refresh-test-0001")
    assert any(line.get("provider_endpoint") == "/-/oauth_token" for line in worker_lines)
    assert any(line["level"] == "DEBUG" for line in json_lines(logs)), "not logged at DEBUG"
    for secret in secrets:
        assert secret and secret not in logs
