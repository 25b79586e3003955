"""The Asana connect flow end to end through the Django test client and the real sandbox:
PKCE S256, a one-time state bound to the session, a clean 302, refusals that store nothing."""

from __future__ import annotations

import html
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from approvals.audit_sentences import audit_sentence
from approvals.catalog import Plan
from approvals.models import AuditEvent, Installation, InstallRequest
from integrations.asana.oauth import SCOPES
from integrations.sandbox.asana.seed import ADA
from tests.factories import make_admin, make_member, make_team
from tests.tokens.lifecycle_fixtures import consent
from tokens import errors
from tokens.flow import SESSION_PREFIX
from tokens.models import ConnectedAccount

pytestmark = pytest.mark.django_db

CONNECT = reverse("tokens:connect", args=["asana"])
CALLBACK = reverse("tokens:callback", args=["asana"])


def start(client, **params) -> str:
    """Continue on the pre-consent page: the redirect to Asana's consent page."""
    response = client.get(CONNECT, {**params, "consent": "continue"})
    assert response.status_code == 302, text(response)[:500]
    return response["Location"]


def text(response) -> str:
    return html.unescape(response.content.decode())


def refusals() -> list[str]:
    return [event.metadata["reason"]
            for event in AuditEvent.objects.filter(action="account.connect_refused").order_by("id")]


def test_connect_sends_the_browser_to_asana_with_pkce_s256_state_and_least_scopes(
        client, asana, asana_team):
    client.force_login(asana_team.member)
    query = parse_qs(urlsplit(start(client)).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32
    assert query["scope"][0].split() == list(SCOPES)
    assert query["redirect_uri"] == ["http://testserver" + CALLBACK]
    assert "code_verifier" not in query


def test_callback_stores_encrypted_tokens_and_redirects_to_a_clean_url(client, asana,
                                                                        asana_team):
    client.force_login(asana_team.member)
    path, params = consent(asana, start(client))
    assert path == CALLBACK and params["code"] and params["state"]
    response = client.get(CALLBACK, params)
    assert response.status_code == 302
    assert response["Location"] == reverse("tokens:integrations")
    assert "code" not in response["Location"] and "state" not in response["Location"]
    assert response["Referrer-Policy"] == "no-referrer"
    account = ConnectedAccount.objects.get(user=asana_team.member, team=asana_team.team)
    assert account.status == ConnectedAccount.Status.ACTIVE
    assert account.provider_account_id == ADA and account.provider_account_name
    assert account.access_token and account.refresh_token and account.expires_at
    event = AuditEvent.objects.get(action="account.connect", actor=asana_team.member)
    assert audit_sentence(event) == (
        f"{asana_team.member} connected Asana as {account.provider_account_name}")
    page = text(client.get(response["Location"]))
    assert f"<dt>Connected as</dt><dd>{account.provider_account_name}" in page


def test_replayed_callback_is_refused_and_changes_nothing(client, asana, asana_team):
    client.force_login(asana_team.member)
    path, params = consent(asana, start(client))
    assert client.get(CALLBACK, params).status_code == 302
    account = ConnectedAccount.objects.get()
    stored = (account.access_token, account.refresh_token)
    replay = client.get(CALLBACK, params)
    assert replay.status_code == 400
    assert errors.FLOW_STATE_REUSED in text(replay)
    assert replay["Referrer-Policy"] == "no-referrer"
    account.refresh_from_db()
    assert (account.access_token, account.refresh_token) == stored
    assert refusals() == ["state_reused"]


def test_callback_without_a_stored_state_is_refused(client, asana, asana_team):
    client.force_login(asana_team.member)
    # A session that never started a flow, and an answer without a state: nothing to compare.
    response = client.get(CALLBACK, {"code": "forged-code"})
    assert response.status_code == 400
    assert errors.FLOW_STATE_MISSING in text(response)
    assert not ConnectedAccount.objects.exists()
    assert refusals() == ["state_missing"]
    assert asana.requests("/-/oauth_token") == []


def test_callback_with_another_state_is_refused_and_the_flow_is_spent(client, asana,
                                                                      asana_team):
    client.force_login(asana_team.member)
    path, params = consent(asana, start(client))
    forged = client.get(CALLBACK, {**params, "state": "x" * 43})
    assert forged.status_code == 400
    assert "does not belong to this connection attempt" in text(forged)
    assert client.get(CALLBACK, params).status_code == 400  # the real answer is spent too
    assert not ConnectedAccount.objects.exists()
    assert refusals() == ["state_mismatch", "state_reused"]


def test_callback_after_ten_minutes_is_refused(client, asana, asana_team):
    client.force_login(asana_team.member)
    path, params = consent(asana, start(client))
    session = client.session
    session[SESSION_PREFIX + "asana"]["started_at"] = time.time() - 601
    session.save()
    response = client.get(CALLBACK, params)
    assert response.status_code == 400
    assert errors.FLOW_STATE_EXPIRED in text(response)
    assert not ConnectedAccount.objects.exists()
    assert refusals() == ["state_expired"]


def test_user_who_denies_access_sees_it_and_nothing_is_stored(client, asana, asana_team):
    client.force_login(asana_team.member)
    path, params = consent(asana, start(client), decision="deny")
    assert params["error"] == "access_denied"
    response = client.get(CALLBACK, params)
    assert response.status_code == 400
    assert errors.FLOW_DENIED.format(integration="Asana") in text(response)
    assert not ConnectedAccount.objects.exists()
    assert refusals() == ["access_denied"]


def test_provider_error_during_the_exchange_stores_nothing(client, asana, asana_team):
    client.force_login(asana_team.member)
    path, params = consent(asana, start(client))
    asana.fault(path_prefix="/-/oauth_token", status=503, times=1)
    response = client.get(CALLBACK, params)
    assert response.status_code == 502
    assert "could not be reached" in text(response)
    assert not ConnectedAccount.objects.exists()
    assert refusals() == ["provider_unavailable"]


def test_invalid_code_is_a_provider_refusal(client, asana, asana_team):
    client.force_login(asana_team.member)
    path, params = consent(asana, start(client))
    response = client.get(CALLBACK, {**params, "code": "not-a-code"})
    assert response.status_code == 400
    assert "did not complete the connection (invalid_grant)" in text(response)
    assert not ConnectedAccount.objects.exists()
    assert refusals() == ["provider_error"]


def test_signed_out_callback_is_refused_without_redirecting_the_code_to_the_login(client,
                                                                                   asana):
    response = client.get(CALLBACK, {"code": "c0de", "state": "s1ate"})
    assert response.status_code == 403
    assert "c0de" not in text(response) and not response.has_header("Location")
    assert refusals() == ["not_signed_in"]


def test_next_on_this_site_is_where_the_callback_lands(client, asana, asana_team):
    client.force_login(asana_team.member)
    path, params = consent(asana, start(client, next="/boards/7?tab=cards"))
    assert client.get(CALLBACK, params)["Location"] == "/boards/7?tab=cards"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "javascript:alert(1)"])
def test_next_to_another_site_is_ignored(client, asana, asana_team, target):
    client.force_login(asana_team.member)
    path, params = consent(asana, start(client, next=target))
    assert client.get(CALLBACK, params)["Location"] == reverse("tokens:integrations")


def test_member_of_a_team_without_the_install_creates_an_install_request(client, asana):
    team = make_team("Initech")
    member = make_member(team, "peter")
    client.force_login(member)
    page = client.get(CONNECT)
    assert page.status_code == 200 and "Request install" in text(page)
    assert not InstallRequest.objects.exists()  # a GET changes nothing
    response = client.post(CONNECT, {"team": team.pk})
    assert response.status_code == 200
    assert errors.INSTALL_REQUESTED.format(integration="Asana", team="Initech") in (
        text(response))
    assert InstallRequest.objects.get().requested_by == member
    assert client.post(CONNECT, {"team": team.pk}).status_code == 200
    assert InstallRequest.objects.count() == 1  # idempotent
    assert asana.requests() == []


def test_admin_of_a_team_without_the_install_installs_and_sees_the_pre_consent_page(
        client, asana):
    team = make_team("Initech")
    admin = make_admin(team, "bill")
    client.force_login(admin)
    response = client.post(CONNECT, {"team": team.pk})
    assert response.status_code == 200
    assert 'data-testid="pre-consent"' in text(response)
    assert Installation.objects.filter(team=team, integration="asana").exists()
    assert asana.requests() == []  # nothing sent to Asana before Continue
    response = client.get(CONNECT, {"team": team.pk, "consent": "continue"})
    assert response.status_code == 302
    assert response["Location"].startswith(asana.url("/-/oauth_authorize"))


def test_team_on_a_plan_without_integrations_is_told_to_upgrade(client, asana):
    team = make_team("Smallco", plan=Plan.FREE)
    client.force_login(make_admin(team))
    response = client.post(CONNECT, {"team": team.pk})
    assert response.status_code == 402
    assert "Business and Enterprise plans" in text(response)
    assert not Installation.objects.exists()


def test_connect_for_a_team_the_user_is_not_in_is_refused(client, asana, asana_team):
    other = make_team("Globex")
    client.force_login(asana_team.member)
    response = client.get(CONNECT, {"team": other.pk})
    assert response.status_code == 403


def test_jira_server_without_a_server_for_the_team_says_so(client, asana_team):
    Installation.objects.create(team=asana_team.team, integration="jira_server")
    client.force_login(asana_team.member)
    response = client.get(reverse("tokens:connect", args=["jira_server"]),
                          {"consent": "continue"})
    assert response.status_code == 409
    assert errors.INTEGRATION_NOT_SET_UP.format(integration="Jira Server") in text(response)
