"""Settings of a bench run: the product's settings on the bench's own database and Redis DB.

bench/run.py sets BENCH_DATABASE_NAME, the sandbox URLs and EGRESS_CA_BUNDLE in the
environment before Django starts, so the gunicorn and Celery processes it starts read the
same values.
"""

import os

os.environ.setdefault("DJANGO_ENV", "test")  # local defaults, no production secrets needed
os.environ.setdefault("EGRESS_ALLOW_LOOPBACK", "true")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")
os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
_server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
os.environ["DATABASE_URL"] = f"{_server}/{os.environ.get('BENCH_DATABASE_NAME', 'conduit_bench')}"

from config.settings import *  # noqa: E402, F403

ROOT_URLCONF = "bench.urls"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # setup speed only
# Each run publishes to a queue of its own, so nothing left in the Redis DB by an earlier,
# interrupted run is consumed by this one (and the bench never has to flush the DB).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BENCH_QUEUE", "bench")
DEBUG = False
