"""One id per request, carried into the log lines of everything the request causes.

The id lives in a context variable: the request-id middleware sets it for the request, the
Celery signals (config.observability.tasks) copy it into the headers of every task the request
enqueues and set it again in the worker around the task, and the egress guard's log lines read
it like any other log line. `RequestIdFilter` puts it on every record as `request_id`.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

REQUEST_ID_HEADER = "X-Request-ID"
# What an incoming X-Request-ID may be (a proxy's or a load balancer's id): short, and only
# characters that cannot forge a log line or carry markup. Anything else is replaced.
INCOMING_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def request_id_get() -> str:
    """The current request id, "" outside a request or a task."""
    return _request_id.get()


def request_id_new() -> str:
    """A fresh id (32 hex characters)."""
    return uuid.uuid4().hex


def request_id_accept(incoming: str | None) -> str:
    """`incoming` when it is a sane id, otherwise a fresh one."""
    if incoming and INCOMING_REQUEST_ID.match(incoming):
        return incoming
    return request_id_new()


def request_id_set(value: str) -> contextvars.Token[str]:
    """Make `value` the current id; returns the token `request_id_reset` takes."""
    return _request_id.set(value)


def request_id_reset(token: contextvars.Token[str]) -> None:
    _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (the current one, or "-") to every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = _request_id.get() or "-"
        return True
