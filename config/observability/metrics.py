"""Conduit's Prometheus metrics, and the registry GET /metrics exposes.

Counters and histograms are incremented by the process that does the work (a gunicorn worker,
a Celery worker process). With PROMETHEUS_MULTIPROC_DIR set (prometheus_client's documented
multiprocess mode, for gunicorn's and Celery's pre-forked processes) each process writes its
values to files there and `/metrics` sums them across all the processes of the machine, so
the provider calls a Celery worker made show up on the web's `/metrics`. Without it (one
process, the tests, the trial) the values live in the process. The gauges that describe
shared state (revocations pending, task queue lag) are not per-process: they are read from
PostgreSQL and Redis at scrape time by config.observability.exposition, which is kept apart
so that this module (imported by the egress guard and the provider packages) imports no app.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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


def token_refresh_record(outcome: str, count: int = 1) -> None:
    """`count` refreshes that came to `outcome` (a sweep chunk counts each outcome once)."""
    token_refreshes.labels(outcome=outcome).inc(count)


def webhook_delivery_record(*, provider: str, accepted: bool, reason: str = "") -> None:
    """One delivery; `reason` is a short code for a refusal (bad_signature, not_found...)."""
    outcome = "accepted" if accepted else "refused"
    webhook_deliveries.labels(provider=provider, outcome=outcome,
                              reason=reason or outcome).inc()


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
