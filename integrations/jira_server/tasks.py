"""The compatibility check as a background job, so no console request waits for Jira.

With a broker, the check is a Celery task on a worker. Without one (the local trial runs tasks
eagerly, in the process that sends them), it runs in a daemon thread instead: an eager task
would run inside the very request the console is waiting on, which is what this module avoids.
Tests that want the old synchronous behaviour set JIRA_CHECK_THREAD_WHEN_EAGER = False.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import close_old_connections

logger = logging.getLogger(__name__)


@shared_task(name="jira_server.check_connection", acks_late=True)
def check_connection(connection_id: str, acting_user_id: Any = None,
                     source_ip: str | None = None) -> str:
    from integrations.jira_server.services import connection_check
    from integrations.models import JiraServerConnection

    connection = JiraServerConnection.objects.select_related("team").filter(
        pk=connection_id).first()
    if connection is None:
        return "gone"
    user = get_user_model().objects.filter(pk=acting_user_id).first() if acting_user_id else None
    report = connection_check(connection=connection, acting_user=user, source_ip=source_ip)
    return report.outcome


def _in_thread(**arguments: Any) -> None:
    try:
        check_connection.apply(kwargs=arguments)
    except Exception:  # a thread's exception would vanish; the stale check shows it instead
        logger.exception("Jira compatibility check %s failed", arguments.get("connection_id"))
    finally:
        close_old_connections()


def check_enqueue(**arguments: Any) -> None:
    """Send the check to a worker, or, when tasks run eagerly, to a daemon thread."""
    eager = bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))
    if eager and getattr(settings, "JIRA_CHECK_THREAD_WHEN_EAGER", True):
        threading.Thread(target=_in_thread, kwargs=arguments, daemon=True,
                         name="jira-check").start()
        return
    check_connection.delay(**arguments)
