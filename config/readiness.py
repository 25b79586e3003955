"""`/readyz`: readiness for load balancers and orchestrators, through django-health-check.

Checks PostgreSQL, Redis as broker and as cache, that every migration is applied and that a
Celery worker answers a ping within READYZ_WORKER_TIMEOUT_SECONDS; answers 200 when all pass
and 503 naming each failed check otherwise
(`{"status": "unavailable", "failed": ["redis"], "checks": {...}}`). The messages are the
library's own and never hold a URL or a password. Without REDIS_URL (the local trial, tasks
in-process) only the database checks run. `/healthz` stays liveness and touches nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime

from celery import current_app
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from health_check import checks
from health_check.base import HealthCheck
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from redis.asyncio import Redis as AsyncRedis

MIGRATIONS_PENDING = "{count} migrations are not applied: run `manage.py release`"


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every migration on disk is applied to the database."""

    def run(self) -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        try:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        finally:
            connection.close()
        if plan:
            raise ServiceUnavailable(MIGRATIONS_PENDING.format(count=len(plan)))


def _broker() -> AsyncRedis:
    return AsyncRedis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1,
                               socket_timeout=2)


def _celery_app():
    # config/__init__.py creates Conduit's Celery app, which makes it the current one; reading it
    # here keeps config.urls from importing config.celery (a layer of its own).
    return current_app._get_current_object()


# Names in the answer, in the order they are reported.
def readiness_checks() -> dict[str, HealthCheck]:
    named: dict[str, HealthCheck] = {
        "database": checks.Database(),
        "migrations": Migrations(),
    }
    if settings.REDIS_URL:
        named["redis"] = Redis(client_factory=_broker)
        named["cache"] = checks.Cache(timeout=datetime.timedelta(seconds=2))
        worker_timeout = datetime.timedelta(seconds=settings.READYZ_WORKER_TIMEOUT_SECONDS)
        named["worker"] = Ping(app=_celery_app(), timeout=worker_timeout, limit=1)
    return named


class ReadyzView(HealthCheckView):
    """django-health-check's view with Conduit's answer: JSON, 503 on any failed check."""

    async def get(self, request, *args, **kwargs) -> JsonResponse:
        named = readiness_checks()
        self.checks = list(named.values())
        with self.get_executor() as executor:
            results = await asyncio.gather(
                *(check.get_result(executor) for check in named.values())
            )
        report = {
            name: "ok" if result.error is None else str(result.error)
            for name, result in zip(named, results, strict=True)
        }
        failed = [name for name, state in report.items() if state != "ok"]
        return JsonResponse(
            {"status": "unavailable" if failed else "ok", "failed": failed, "checks": report},
            status=503 if failed else 200,
        )
