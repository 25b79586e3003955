"""Fixtures of the Jira Server connector tests: the real Jira simulator (session subprocess),
a team with its admin and a member, the team's registered server, and Jira accounts connected
through Conduit's own connect views and the simulator's consent page."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse

from approvals.models import Installation
from integrations.jira_server import services
from tests.factories import make_admin, make_member, make_team
from tests.fixtures.jira import jira_seed_state, submit_consent
from tokens.models import ConnectedAccount

CONSOLE_BASE = "http://testserver"


@pytest.fixture(autouse=True)
def loopback_egress(settings):
    settings.EGRESS_ALLOW_LOOPBACK = True
    settings.EGRESS_ALLOWED_HOSTS = []
    return settings


@pytest.fixture
def jira(jira_sandbox):
    """The simulator in its seed state, without faults; restored afterwards."""
    with jira_seed_state(jira_sandbox) as jira_clean:
        yield jira_clean


@pytest.fixture
def team(db):
    return make_team("Acme")


@pytest.fixture
def admin(team):
    return make_admin(team, "acme-admin")


@pytest.fixture
def member(team):
    return make_member(team, "acme-member")


@pytest.fixture
def jira_installed(team, admin):
    return Installation.objects.create(team=team, integration="jira_server",
                                       installed_by=admin)


@pytest.fixture
def connection(team, admin, jira):
    return services.connection_register(team=team, base_url=jira.base_url, acting_user=admin)


@pytest.fixture
def linked_connection(connection, admin):
    """The server with its Application Link registered in the simulator and verified."""
    return services.applink_register_sandbox(connection=connection, acting_user=admin,
                                             base=CONSOLE_BASE)


def connect_start(client, user) -> str:
    """Continue on Conduit's pre-consent page for Jira: the redirect to Jira's consent page."""
    client.force_login(user)
    response = client.get(reverse("tokens:connect", args=["jira_server"]),
                          {"consent": "continue"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def callback(client, location: str):
    target = urlsplit(location)
    return client.get(target.path, dict(parse_qsl(target.query)))


def connect_jira(client, user, jira, *, jira_user: str = "alice") -> ConnectedAccount:
    """The whole OAuth 1.0a dance through Conduit's views and the simulator's consent page."""
    authorize_url = connect_start(client, user)
    decision = submit_consent(jira.base_url, authorize_url, user=jira_user, decision="approve")
    assert decision.status_code == 302, decision.text
    response = callback(client, decision.headers["Location"])
    assert response.status_code == 302, response.content.decode()[:2000]
    return ConnectedAccount.objects.get(user=user, integration="jira_server")
