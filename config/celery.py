"""The Celery app: Redis as broker when REDIS_URL is set, tasks in-process otherwise."""

import os

from celery import Celery
from django.conf import settings

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
