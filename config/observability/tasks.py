"""Celery signals: the enqueuing request's id rides in each task's headers into the worker.

`before_task_publish` adds two headers to every message: the current request id and the time
it was published (what the queue-lag gauge reads from the oldest waiting message).
`task_prerun` makes the header's id current for the task's run (or a fresh one for a task
that beat or a task without id enqueued), `task_postrun` restores what was there before.
Eager tasks (the local trial, the tests) publish nothing and simply run inside the caller's
context, id included.
"""

from __future__ import annotations

import contextvars
import time
from typing import Any

from celery import signals

from config.observability.request_id import (
    request_id_get,
    request_id_new,
    request_id_reset,
    request_id_set,
)

REQUEST_ID_TASK_HEADER = "conduit_request_id"
PUBLISHED_AT_TASK_HEADER = "conduit_published_at"

_tokens: dict[str, contextvars.Token[str]] = {}


@signals.before_task_publish.connect
def add_request_id_header(headers: dict[str, Any] | None = None, **_: Any) -> None:
    if headers is None:
        return
    request_id = request_id_get()
    if request_id:
        headers.setdefault(REQUEST_ID_TASK_HEADER, request_id)
    headers.setdefault(PUBLISHED_AT_TASK_HEADER, time.time())


@signals.task_prerun.connect
def set_task_request_id(task_id: str = "", task: Any = None, **_: Any) -> None:
    if task is None or task.request.is_eager:
        return
    request_id = task.request.get(REQUEST_ID_TASK_HEADER) or request_id_new()
    _tokens[task_id] = request_id_set(str(request_id))


@signals.task_postrun.connect
def reset_task_request_id(task_id: str = "", **_: Any) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        try:
            request_id_reset(token)
        except ValueError:  # set in another context (a thread pool's other thread): clear it
            request_id_set("")


class TaskContextFilter:
    """Adds `task_id` and `task_name` to the records logged while a worker runs a task."""

    def filter(self, record: Any) -> bool:
        from celery import current_task

        task = current_task
        if task and getattr(task, "request", None) is not None and task.request.id:
            record.task_id = task.request.id
            record.task_name = task.name
        return True
