"""What a scrape of GET /metrics reads: the counters of config.observability.metrics (every
process's, in multiprocess mode) and the gauges of shared state read at scrape time from
PostgreSQL and Redis. Imported by the view only: it reads the tokens app's models.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

import config.observability.metrics  # noqa: F401 - the counters, registered on import

logger = logging.getLogger(__name__)


class SharedStateCollector(Collector):
    """Gauges read at scrape time: revocations still to send, and each task queue's length
    and the age of its oldest waiting message. A source that cannot be read is left out of
    the answer (and logged) rather than failing the whole scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._revocations()
        yield from self._queues()

    def _revocations(self) -> Iterator[GaugeMetricFamily]:
        try:
            from tokens.models import ProviderRevocation

            pending = ProviderRevocation.objects.count()
        except Exception as error:  # noqa: BLE001 - a scrape must not fail with the database
            logger.warning("metrics: revocations pending unavailable: %s", type(error).__name__)
            return
        gauge = GaugeMetricFamily("conduit_revocations_pending",
                                  "Provider revocations queued and not yet confirmed.")
        gauge.add_metric([], pending)
        yield gauge

    def _queues(self) -> Iterator[GaugeMetricFamily]:
        from django.conf import settings

        broker = str(settings.CELERY_BROKER_URL)
        if not broker.startswith(("redis://", "rediss://")):
            return
        length = GaugeMetricFamily("conduit_task_queue_length",
                                   "Messages waiting in a Celery queue.", labels=["queue"])
        age = GaugeMetricFamily("conduit_task_queue_oldest_age_seconds",
                                "Age of the oldest message waiting in a Celery queue (0 when "
                                "empty).", labels=["queue"])
        try:
            import redis

            client = redis.Redis.from_url(broker, socket_timeout=2, socket_connect_timeout=2)
            try:
                for queue in settings.METRICS_TASK_QUEUES:
                    length.add_metric([queue], client.llen(queue))
                    age.add_metric([queue], _oldest_age(client.lindex(queue, -1)))
            finally:
                client.close()
        except Exception as error:  # noqa: BLE001 - a scrape must not fail with Redis
            logger.warning("metrics: task queues unavailable: %s", type(error).__name__)
            return
        yield length
        yield age


def _oldest_age(raw: bytes | None) -> float:
    """Seconds since the message at the queue's consuming end was published (kombu pushes on
    the left and pops from the right, so index -1 is the oldest)."""
    from config.observability.tasks import PUBLISHED_AT_TASK_HEADER

    if not raw:
        return 0.0
    try:
        published = json.loads(raw)["headers"][PUBLISHED_AT_TASK_HEADER]
        return max(0.0, time.time() - float(published))
    except (ValueError, KeyError, TypeError):
        return 0.0  # published before the header existed: its age cannot be known


_shared_state = SharedStateCollector()
_registered = False


def registry() -> CollectorRegistry:
    """The registry a scrape reads: every process's values in multiprocess mode (a fresh
    registry each scrape, as prometheus_client documents), this process's otherwise, plus
    the shared-state gauges."""
    global _registered
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        scrape = CollectorRegistry()
        multiprocess.MultiProcessCollector(scrape)
        scrape.register(_shared_state)
        return scrape
    if not _registered:
        REGISTRY.register(_shared_state)
        _registered = True
    return REGISTRY


def exposition() -> bytes:
    """The metrics in Prometheus' text format."""
    return generate_latest(registry())
