"""Outages answer 503 (Conduit's page, or the API's envelope), never a 500; caches degrade.

The views here raise the errors the ORM and kombu raise when PostgreSQL is down, SQLite is still
locked after its busy timeout or the broker is unreachable; the operator smoke test
(test_operator_smoke.py) shows the same pages with the real servers stopped.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import OperationalError
from django.http import HttpResponse
from django.urls import include, path
from django.utils.html import escape
from kombu.exceptions import OperationalError as BrokerOperationalError

from config.cache import DegradingRedisCache
from config.settings import READYZ_TIMEOUT_REFUSED
from config.unavailable import DATABASE_UNAVAILABLE, QUEUE_UNAVAILABLE


def database_locked(request) -> HttpResponse:
    raise OperationalError("database is locked")


def broker_down(request) -> HttpResponse:
    raise BrokerOperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")


def plain_bug(request) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [
    path("page/locked", database_locked),
    path("page/queue", broker_down),
    path("page/bug", plain_bug),
    path("api/v1/locked", database_locked),
    path("", include("config.urls")),
]
handler500 = "config.unavailable.server_error"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def outage_client(client, settings):
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    return client


def test_database_locked_answers_the_styled_503_page(outage_client):
    answer = outage_client.get("/page/locked")
    assert answer.status_code == 503
    assert answer["Retry-After"] == "30"
    body = answer.content.decode()
    assert "Conduit is temporarily unavailable" in body and escape(DATABASE_UNAVAILABLE) in body
    assert "conduit.css" in body


def test_database_unavailable_in_the_api_answers_the_json_envelope(outage_client):
    answer = outage_client.get("/api/v1/locked")
    assert answer.status_code == 503
    assert answer.json() == {"error": {"code": "database_unavailable",
                                       "message": DATABASE_UNAVAILABLE, "detail": {}}}


def test_unreachable_broker_answers_a_clear_503(outage_client):
    answer = outage_client.get("/page/queue")
    assert answer.status_code == 503
    assert escape(QUEUE_UNAVAILABLE) in answer.content.decode()
    assert "127.0.0.1:1" not in answer.content.decode()


def test_a_bug_answers_conduits_500_page(outage_client):
    answer = outage_client.get("/page/bug")
    assert answer.status_code == 500
    assert "Something went wrong" in answer.content.decode()


@pytest.mark.django_db
def test_unknown_page_answers_conduits_404(client):
    answer = client.get("/no/such/page")
    assert answer.status_code == 404
    assert "Page not found" in answer.content.decode()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_cache_with_redis_down_misses_instead_of_raising():
    cache = DegradingRedisCache(f"redis://127.0.0.1:{closed_port()}/0",
                                {"OPTIONS": {"socket_connect_timeout": 1}})
    assert cache.get("key") is None
    assert cache.get("key", "fallback") == "fallback"
    cache.set("key", "value")
    assert cache.add("key", "value") is True
    assert cache.get_many(["a", "b"]) == {}
    cache.delete("key")
    with pytest.raises(ValueError):
        cache.incr("counter")


@pytest.mark.django_db
def test_readyz_names_redis_and_cache_when_redis_is_down(client, settings):
    url = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CELERY_BROKER_URL = url
    settings.CACHES = {"default": {"BACKEND": "config.cache.DegradingRedisCache",
                                   "LOCATION": url, "OPTIONS": {"socket_connect_timeout": 1}}}
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unavailable"
    assert {"redis", "cache"} <= set(body["failed"])
    assert body["checks"]["database"] == "ok" and body["checks"]["migrations"] == "ok"
    assert url not in answer.content.decode()


def test_readyz_waits_for_a_worker_as_long_as_configured(settings):
    from config.readiness import readiness_checks

    settings.REDIS_URL = "redis://127.0.0.1:6379/0"  # the broker checks are listed with it
    settings.READYZ_WORKER_TIMEOUT_SECONDS = 7.5
    assert readiness_checks()["worker"].timeout == timedelta(seconds=7.5)


def test_readyz_worker_timeout_that_is_not_a_positive_number_refuses_to_start(tmp_path):
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, capture_output=True,
        text=True, timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings",
             "CONDUIT_LOCAL_DIR": str(tmp_path), "READYZ_WORKER_TIMEOUT_SECONDS": "soon"})
    assert started.returncode == 2
    assert started.stderr.strip() == f"conduit: {READYZ_TIMEOUT_REFUSED}"


def test_healthz_stays_liveness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
