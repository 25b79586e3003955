"""Test settings: the product's settings with the test environment's defaults.

Real PostgreSQL and Redis (overridable through the same variables as production), loopback
egress allowed for the sandboxes, Celery eager except where a test starts a real worker.
"""

import os
import tempfile

os.environ.setdefault("DJANGO_ENV", "test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/conduit")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("EGRESS_ALLOW_LOOPBACK", "true")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("CONDUIT_LOCAL_DIR", tempfile.mkdtemp(prefix="conduit-test-"))

from config.settings import *  # noqa: E402, F403

# One test database per test run (several runs may share a machine); subprocesses the tests
# start (a Celery worker, the trial) inherit the name through the environment.
os.environ.setdefault("CONDUIT_TEST_RUN", str(os.getpid()))
DATABASES["default"]["TEST"] = {"NAME": f"test_conduit_{os.environ['CONDUIT_TEST_RUN']}"}  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
JIRA_CHECK_THREAD_WHEN_EAGER = False  # the test client sees the check finished when the page returns
