"""Conduit's Prometheus metrics, and the registry GET /metrics exposes.

Counters and histograms are incremented by the process that does the work (a gunicorn worker,
a Celery worker process). With PROMETHEUS_MULTIPROC_DIR set (prometheus_client's documented
multiprocess mode, for gunicorn's and Celery's pre-forked processes) each process writes its
values to files there and `/metrics` sums them across all the processes of the machine, so
the provider calls a Celery worker made show up on the web's `/metrics`. Without it (one
process, the tests, the trial) the values live in the process. The gauges that describe
shared state (revocations pending, task queue lag) are not per-process: they are read from
PostgreSQL and Redis at scrape time by `SharedStateCollector`.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

PROVIDER_CALL_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0)

provider_calls = Counter(
    "conduit_provider_calls",
    "Outbound calls to providers, by provider, endpoint (a route template) and status.",
    ["provider", "method", "endpoint", "status"],
)
provider_call_duration = Histogram(
    "conduit_provider_call_duration_seconds",
    "Latency of outbound provider calls, first byte of the answer included.",
    ["provider", "method", "endpoint", "status"],
    buckets=PROVIDER_CALL_BUCKETS,
)
token_refreshes = Counter(
    "conduit_token_refreshes",
    "Token refresh task outcomes: refreshed, fresh, gone, needs_reconnect, error.",
    ["outcome"],
)
webhook_deliveries = Counter(
    "conduit_webhook_deliveries",
    "Webhook deliveries received, by provider and outcome (accepted or refused) and reason.",
    ["provider", "outcome", "reason"],
)


def token_refresh_record(outcome: str) -> None:
    token_refreshes.labels(outcome=outcome).inc()


def webhook_delivery_record(*, provider: str, accepted: bool, reason: str = "") -> None:
    """One delivery; `reason` is a short code for a refusal (bad_signature, not_found...)."""
    outcome = "accepted" if accepted else "refused"
    webhook_deliveries.labels(provider=provider, outcome=outcome,
                              reason=reason or outcome).inc()


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


def webhook_deliveries_counted(provider: str):
    """Decorates a webhook view: each answer counts one delivery, accepted when 2xx (reason
    `handshake` for Asana's X-Hook-Secret handshake), refused otherwise with the status as its
    reason (the views stay as they are)."""
    import functools

    def decorate(view):
        @functools.wraps(view)
        def counted(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            accepted = 200 <= response.status_code < 300
            if not accepted:
                reason = str(response.status_code)
            else:
                reason = "handshake" if "X-Hook-Secret" in request.headers else ""
            webhook_delivery_record(provider=provider, accepted=accepted, reason=reason)
            return response

        return counted

    return decorate
