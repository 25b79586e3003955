"""The Celery app: Redis as broker when REDIS_URL is set, tasks in-process otherwise.

The worker and beat log through Django's LOGGING (JSON lines in production, redacted), not
Celery's own formatter: `setup_logging` being connected tells Celery to leave logging alone.
The command's `--loglevel` still counts for Celery's own lines when it asks for more than
LOG_LEVEL (the Procfile's `--loglevel INFO`), so the worker's "Connected" and "ready." lines
are always logged; Conduit's own lines keep LOG_LEVEL.
"""

import os

from celery import Celery, signals
from django.conf import settings

import config.observability.tasks  # noqa: F401 - connects the request-id task signals
from tokens.schedule import BEAT_SCHEDULE as TOKENS_BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("conduit")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The apps' tasks modules, and those of the enabled provider packages (CONDUIT_PROVIDERS), so
# a provider's tasks reach the worker with no edit outside its package.
app.autodiscover_tasks()
app.autodiscover_tasks(lambda: list(settings.CONDUIT_PROVIDERS))
# Periodic jobs of the apps (tokens: refresh, revocation retries, retention purge).
app.conf.beat_schedule = {**TOKENS_BEAT_SCHEDULE}


@signals.setup_logging.connect
def use_django_logging(loglevel: int | str | None = None, **_: object) -> None:
    """Django's LOGGING, applied again in case something reconfigured logging before, with
    Celery's own loggers at the more verbose of LOG_LEVEL and the command's `--loglevel`.

    Without the second, LOG_LEVEL=WARNING silenced the INFO lines a starting worker reports
    ("Connected to ...", "... ready."), and whatever waits for them waited for ever. Only
    Celery's: with the root logger lowered too, every provider call of a sweep wrote its INFO
    line (through the redaction filter) whatever LOG_LEVEL said.
    """
    import logging

    import django

    django.setup()
    from config.logging import configure

    configure(settings.LOGGING)
    requested = logging.getLevelName(loglevel) if isinstance(loglevel, str) else loglevel
    celery_logger = logging.getLogger("celery")
    if isinstance(requested, int) and requested < celery_logger.getEffectiveLevel():
        celery_logger.setLevel(requested)
