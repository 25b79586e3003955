"""Conduit's page before the provider's consent page: what is read, what is stored, why each
scope is asked; Continue goes to the provider, Cancel back, and nothing reaches the provider
before Continue."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from approvals.models import Installation
from integrations.asana.consent import SCOPE_REASONS as ASANA_SCOPE_REASONS
from integrations.asana.oauth import SCOPES
from integrations.providers import get_provider
from tokens.consent import NOT_STORED, STORED_FIELDS, disclosure_for

pytestmark = pytest.mark.django_db

CONNECT = reverse("tokens:connect", args=["asana"])


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_every_asana_scope_asked_has_a_reason():
    assert set(SCOPES) <= set(ASANA_SCOPE_REASONS)
    assert all(ASANA_SCOPE_REASONS[scope].strip() for scope in SCOPES)


def test_the_disclosure_reads_each_providers_scopes_from_its_manifest():
    for key in ("asana", "jira_server"):
        disclosure = disclosure_for(integration=key, name=key, retention_days=7)
        assert disclosure.scopes == get_provider(key).manifest.consent.scopes
        assert disclosure.reads == get_provider(key).manifest.consent.reads
    assert [scope for scope, _ in disclosure_for(
        integration="asana", name="Asana", retention_days=7).scopes] == list(SCOPES)


def test_connect_shows_what_is_read_stored_and_why_each_scope_before_asana(
        client, asana, asana_team):
    client.force_login(asana_team.member)
    board_url = "/boards/1"
    page = client.get(CONNECT, {"team": asana_team.team.pk, "next": board_url})
    assert page.status_code == 200
    body = text(page)
    for field in STORED_FIELDS:
        assert f"<li>{field}</li>" in body
    assert NOT_STORED in body
    for scope in SCOPES:
        assert f"<code>{scope}</code></td><td>{ASANA_SCOPE_REASONS[scope]}</td>" in body
    continue_url = f"{CONNECT}?team={asana_team.team.pk}&amp;consent=continue&amp;next=%2Fboards%2F1"
    assert f'href="{continue_url}" data-testid="consent-continue"' in page.content.decode()
    assert f'href="{board_url}" data-testid="consent-cancel"' in body
    assert asana.requests() == []  # the page alone sends nothing to Asana

    go_on = client.get(CONNECT, {"team": asana_team.team.pk, "next": board_url,
                                 "consent": "continue"})
    assert go_on.status_code == 302
    assert go_on["Location"].startswith(asana.url("/-/oauth_authorize"))


def test_cancel_without_a_next_page_goes_back_to_integrations(client, asana, asana_team):
    client.force_login(asana_team.member)
    body = text(client.get(CONNECT))
    assert f'href="{reverse("tokens:integrations")}" data-testid="consent-cancel"' in body


def test_jira_pre_consent_says_jira_has_no_finer_scopes(client, asana_team):
    Installation.objects.create(team=asana_team.team, integration="jira_server")
    client.force_login(asana_team.member)
    body = text(client.get(reverse("tokens:connect", args=["jira_server"])))
    assert "Connect your Jira Server account" in body
    assert "no finer scopes" in body
