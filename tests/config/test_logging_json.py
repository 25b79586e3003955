"""The JSON formatter, the request id and its trip into task headers, in the test process."""

from __future__ import annotations

import io
import json
import logging

import pytest
import redis
from django.conf import settings as django_settings

from config.logging import JsonFormatter, RedactSecretsFilter, WarningWithoutTraceback
from config.observability.request_id import (
    RequestIdFilter,
    request_id_reset,
    request_id_set,
)
from config.observability.tasks import PUBLISHED_AT_TASK_HEADER, REQUEST_ID_TASK_HEADER
from integrations.egress.observe import endpoint_of

SECRET = "ya29.a0AfH6SMBsecretvalue"


@pytest.fixture
def json_log():
    """A logger writing JSON lines to a buffer through the production handler's filters."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecretsFilter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("tests.json_log")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_line_carries_the_current_request_id(json_log):
    logger, stream = json_log
    token = request_id_set("req-0123456789")
    try:
        logger.info("hello %s", "world")
    finally:
        request_id_reset(token)
    logger.info("outside")
    first, second = lines(stream)
    assert first["message"] == "hello world" and first["request_id"] == "req-0123456789"
    assert first["level"] == "INFO" and first["logger"] == "tests.json_log"
    assert second["request_id"] == "-"


def test_secret_in_message_extra_and_traceback_is_redacted(json_log):
    logger, stream = json_log
    logger.info("refreshed access_token=%s", SECRET, extra={"detail": f"refresh_token={SECRET}"})
    try:
        raise ValueError(f"client_secret={SECRET}")
    except ValueError:
        logger.exception("failed with password=%s", SECRET)
    assert SECRET not in stream.getvalue()
    first, second = lines(stream)
    assert first["message"] == "refreshed access_token=[redacted]"
    assert first["detail"] == "refresh_token=[redacted]"
    assert "client_secret=[redacted]" in second["exc_info"]


def test_warning_without_traceback_downgrades_an_error():
    record = logging.LogRecord("django.security.DisallowedHost", logging.ERROR, __file__, 1,
                               "Invalid HTTP_HOST header", None, (ValueError, ValueError(), None))
    WarningWithoutTraceback().filter(record)
    assert (record.levelname, record.exc_info) == ("WARNING", None)


def test_response_returns_a_new_request_id(client):
    response = client.get("/healthz")
    assert len(response["X-Request-ID"]) == 32


def test_sane_incoming_request_id_is_kept(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c01:0042")
    assert response["X-Request-ID"] == "lb-7f3a9c01:0042"


@pytest.mark.parametrize("incoming", ["short", "x" * 129, "forged\nline-0123456", "<b>0123456789"])
def test_insane_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] != incoming and len(response["X-Request-ID"]) == 32


@pytest.mark.filterwarnings("ignore:task_always_eager has no effect on send_task")
def test_published_task_carries_the_request_id_in_its_headers():
    from config.celery import app

    queue = "conduit-logging-test-headers"
    connection = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    token = request_id_set("req-headers-0001")
    try:
        app.send_task("tokens.refresh_account", args=["0"], queue=queue)
        message = json.loads(connection.lindex(queue, -1))
    finally:
        request_id_reset(token)
        connection.delete(queue)
        connection.close()
    assert message["headers"][REQUEST_ID_TASK_HEADER] == "req-headers-0001"
    assert message["headers"][PUBLISHED_AT_TASK_HEADER] > 0


@pytest.mark.parametrize(("path", "template"), [
    ("/api/1.0/tasks/1209876543210", "/tasks/{task_gid}"),
    ("/api/1.0/workspaces/12345/tasks/search", "/workspaces/{workspace_gid}/tasks/search"),
    ("/rest/api/2/issue/PROJ-12", "/rest/api/2/issue/{key}"),
    ("/rest/api/2/issue/createmeta", "/rest/api/2/issue/createmeta"),
    ("/-/oauth_token", "/-/oauth_token"),
    ("/somewhere/98765432/else", "/somewhere/{id}/else"),
])
def test_provider_endpoints_are_route_templates(path, template):
    import integrations.asana.client  # noqa: F401 - registers the clients' templates
    import integrations.jira_server.client  # noqa: F401

    assert endpoint_of(path) == template
