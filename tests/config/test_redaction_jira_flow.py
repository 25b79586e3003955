"""A real OAuth 1.0a connect against the Jira simulator, with oauthlib and requests-oauthlib
raised to DEBUG the way an operator debugging a connection would: no token, token secret or
verifier appears in any captured log line."""

from __future__ import annotations

import io
import logging
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse

from approvals.models import Installation
from integrations.jira_server import services
from tests.factories import make_admin, make_member, make_team
from tests.fixtures.jira import submit_consent
from tokens.models import ConnectedAccount

pytestmark = pytest.mark.django_db
DEBUG_LOGGERS = ("oauthlib", "requests_oauthlib", "urllib3", "integrations", "tokens")


@pytest.fixture
def operator_debug_logging(caplog):
    """The loggers at DEBUG, plus a bare StreamHandler on the root logger: an operator's own
    handler carries none of Conduit's filters."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    levels = {name: logging.getLogger(name).level for name in DEBUG_LOGGERS}
    for name in DEBUG_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_no_jira_secret_is_logged_during_a_debug_connect(client, settings, jira_sandbox,
                                                         operator_debug_logging, caplog):
    settings.EGRESS_ALLOW_LOOPBACK = True
    jira_sandbox.reset()
    team = make_team("Acme")
    admin, member = make_admin(team, "acme-admin"), make_member(team, "acme-member")
    Installation.objects.create(team=team, integration="jira_server",
                                installed_by=admin)
    connection = services.connection_register(team=team, base_url=jira_sandbox.base_url,
                                              acting_user=admin)
    services.applink_register_sandbox(connection=connection, acting_user=admin,
                                      base="http://testserver")

    client.force_login(member)
    started = client.get(reverse("tokens:connect", args=["jira_server"]), {"consent": "continue"})
    assert started.status_code == 302, started.content.decode()[:2000]
    request_token = dict(parse_qsl(urlsplit(started["Location"]).query))["oauth_token"]
    decision = submit_consent(jira_sandbox.base_url, started["Location"], user="alice",
                              decision="approve")
    assert decision.status_code == 302, decision.text
    target = urlsplit(decision.headers["Location"])
    answer = dict(parse_qsl(target.query))
    assert client.get(target.path, answer).status_code == 302
    account = ConnectedAccount.objects.get(user=member, integration="jira_server")

    secrets = {"request token": request_token, "verifier": answer["oauth_verifier"],
               "access token": account.access_token, "token secret": account.token_secret}
    assert all(secrets.values())
    oauth_records = [r for r in caplog.records if r.name.startswith(("oauthlib", "requests_o"))]
    assert len(oauth_records) > 10, "oauthlib logged nothing at DEBUG: the test proves nothing"
    logged = {"caplog": caplog.text, "operator handler": operator_debug_logging.getvalue()}
    for place, text in logged.items():
        for name, secret in secrets.items():
            assert secret not in text, f"the {name} is in the {place} log output"
