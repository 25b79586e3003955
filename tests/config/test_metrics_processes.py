"""/metrics of a real gunicorn (two workers) shows what a separate Celery worker process did:
prometheus_client's multiprocess mode over the stack's shared PROMETHEUS_MULTIPROC_DIR."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from tests.factories import make_member, make_team
from tests.fixtures.observability import metric_value
from tests.tokens.lifecycle_fixtures import celery_client, make_connected_account, sandbox_options
from tokens.models import ConnectedAccount

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_metrics_of_the_real_web_refuse_anonymous_and_a_wrong_token(observed_stack):
    anonymous = requests.get(observed_stack.url("/metrics"), timeout=10)
    wrong = requests.get(observed_stack.url("/metrics"), timeout=10,
                         headers={"Authorization": "Bearer wrong"})
    assert (anonymous.status_code, wrong.status_code) == (401, 401)
    assert "conduit_" not in anonymous.text + wrong.text


def test_a_refresh_done_by_the_worker_shows_on_the_webs_metrics(observed_stack, asana_sandbox):
    sandbox_options(asana_sandbox)
    labels = {"provider": "asana", "method": "POST", "endpoint": "/-/oauth_token",
              "status": "200"}
    before = observed_stack.metrics()
    calls_before = metric_value(before, "conduit_provider_calls_total", **labels) or 0
    refreshed_before = metric_value(before, "conduit_token_refreshes_total",
                                    outcome="refreshed") or 0
    account, _ = make_connected_account(asana_sandbox, user=make_member(make_team()),
                                        team=make_team())
    ConnectedAccount.objects.filter(pk=account.pk).update(
        expires_at=timezone.now() + timedelta(seconds=30))
    client = celery_client("metrics-tests")
    try:
        result = client.send_task("tokens.refresh_account", args=[str(account.pk)],
                                  queue=observed_stack.queue)
        assert result.get(timeout=30) == "refreshed"
    finally:
        client.close()
    after = observed_stack.metrics()
    assert metric_value(after, "conduit_provider_calls_total", **labels) == calls_before + 1
    assert metric_value(after, "conduit_provider_call_duration_seconds_count", **labels) >= 1
    assert metric_value(after, "conduit_token_refreshes_total",
                        outcome="refreshed") == refreshed_before + 1
    assert metric_value(after, "conduit_task_queue_length", queue=observed_stack.queue) == 0
