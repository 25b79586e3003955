"""The Celery app: Redis as broker when REDIS_URL is set, tasks in-process otherwise."""

import os

from celery import Celery

from tokens.schedule import BEAT_SCHEDULE as TOKENS_BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("conduit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Periodic jobs of the apps (tokens: refresh, revocation retries, retention purge).
app.conf.beat_schedule = {**TOKENS_BEAT_SCHEDULE}
