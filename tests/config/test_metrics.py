"""GET /metrics in the test process: who may read it, and what the metrics say after calls
to the Asana sandbox, queued revocations, a waiting task and refused webhook deliveries.

The process has no PROMETHEUS_MULTIPROC_DIR, so values are this process's own (the
multiprocess path is covered by test_metrics_processes.py); tests compare before and after.
"""

from __future__ import annotations

import uuid

import pytest
import redis
from django.conf import settings as django_settings
from django.utils import timezone

from integrations.asana.client import AsanaClient
from integrations.errors import ApiError
from integrations.sandbox.asana.seed import ADA
from tests.factories import make_member, make_team, make_user
from tests.fixtures.observability import metric_value
from tests.tokens.lifecycle_fixtures import sandbox_options
from tokens.models import ProviderRevocation

pytestmark = pytest.mark.django_db


@pytest.fixture
def asana(asana_sandbox, settings):
    settings.ASANA_OAUTH_URL = asana_sandbox.url("/-/")
    settings.ASANA_API_URL = asana_sandbox.url("/api/1.0")
    asana_sandbox.clear_faults()
    sandbox_options(asana_sandbox)
    return asana_sandbox


def scrape(client) -> str:
    staff = make_user(staff=True)
    client.force_login(staff)
    response = client.get("/metrics")
    client.logout()
    assert response.status_code == 200
    return response.content.decode()


def test_metrics_refuse_anonymous_callers(client, settings):
    settings.METRICS_TOKEN = "a-long-metrics-token-for-the-test"
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"conduit_" not in response.content


def test_metrics_refuse_a_wrong_token_and_a_member_who_is_not_staff(client, settings):
    settings.METRICS_TOKEN = "a-long-metrics-token-for-the-test"
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    client.force_login(make_member(make_team(), "not-staff"))
    member = client.get("/metrics")
    assert (wrong.status_code, member.status_code) == (401, 401)


def test_metrics_accept_the_bearer_token(client, settings):
    settings.METRICS_TOKEN = "a-long-metrics-token-for-the-test"
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer a-long-metrics-token-for-the-test")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


def test_without_a_token_set_a_bearer_header_is_refused(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


def test_asana_calls_are_counted_by_route_template_and_status(client, asana):
    token = asana.control("issue_token", user=ADA)["access_token"]
    labels_ok = {"provider": "asana", "method": "GET", "endpoint": "/users/me", "status": "200"}
    labels_missing = {"provider": "asana", "method": "GET", "endpoint": "/tasks/{task_gid}",
                      "status": "404"}
    before = scrape(client)
    AsanaClient(token).me()
    with pytest.raises(ApiError):
        AsanaClient(token).task("1209999999999999")
    after = scrape(client)

    def delta(name: str, labels: dict) -> float:
        return (metric_value(after, name, **labels) or 0) - (metric_value(before, name, **labels) or 0)

    assert delta("conduit_provider_calls_total", labels_ok) == 1
    assert delta("conduit_provider_calls_total", labels_missing) == 1
    assert delta("conduit_provider_call_duration_seconds_count", labels_ok) == 1
    assert metric_value(after, "conduit_provider_call_duration_seconds_bucket",
                        le="+Inf", **labels_ok) >= 1
    assert "1209999999999999" not in after  # never a raw id in a label


def test_revocations_pending_are_read_from_the_database_at_scrape_time(client):
    for _ in range(3):
        ProviderRevocation.objects.create(integration="asana",
                                          next_attempt_at=timezone.now())
    assert metric_value(scrape(client), "conduit_revocations_pending") == 3
    ProviderRevocation.objects.all().delete()
    assert metric_value(scrape(client), "conduit_revocations_pending") == 0


@pytest.mark.filterwarnings("ignore:task_always_eager has no effect on send_task")
def test_task_queue_length_and_oldest_age_come_from_redis(client, settings):
    from config.celery import app

    queue = f"conduit-metrics-test-{uuid.uuid4().hex[:8]}"
    settings.METRICS_TASK_QUEUES = [queue]
    connection = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    try:
        assert metric_value(scrape(client), "conduit_task_queue_length", queue=queue) == 0
        app.send_task("tokens.refresh_account", args=["0"], queue=queue)
        app.send_task("tokens.refresh_account", args=["0"], queue=queue)
        text = scrape(client)
        assert metric_value(text, "conduit_task_queue_length", queue=queue) == 2
        age = metric_value(text, "conduit_task_queue_oldest_age_seconds", queue=queue)
        assert 0 < age < 60
    finally:
        connection.delete(queue)
        connection.close()


def test_refused_webhook_deliveries_are_counted(client):
    labels = {"provider": "asana", "outcome": "refused", "reason": "404"}
    before = metric_value(scrape(client), "conduit_webhook_deliveries_total", **labels) or 0
    response = client.post(f"/webhooks/asana/{uuid.uuid4()}", data=b"{}",
                           content_type="application/json")
    assert response.status_code == 404
    after = metric_value(scrape(client), "conduit_webhook_deliveries_total", **labels)
    assert after == before + 1


def test_accepted_webhook_deliveries_are_counted(client):
    from cards.models import WebhookSubscription
    from integrations.asana.webhooks import signature_of

    team = make_team()
    subscription = WebhookSubscription.objects.create(
        team=team, integration="asana", container_id="1200000000000001",
        subscribed_by=make_member(team), status=WebhookSubscription.Status.ACTIVE)
    subscription.secret = "handshake-secret-of-the-test"
    subscription.save()
    labels = {"provider": "asana", "outcome": "accepted", "reason": "accepted"}
    before = metric_value(scrape(client), "conduit_webhook_deliveries_total", **labels) or 0
    body = b'{"events": []}'
    response = client.post(f"/webhooks/asana/{subscription.pk}", data=body,
                           content_type="application/json",
                           HTTP_X_HOOK_SIGNATURE=signature_of(subscription.secret, body))
    assert response.status_code == 200
    after = metric_value(scrape(client), "conduit_webhook_deliveries_total", **labels)
    assert after == before + 1
