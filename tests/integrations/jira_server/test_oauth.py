"""Per-user OAuth 1.0a (RSA-SHA1) with the team's Jira Server, through Conduit's connect views
and the simulator's consent page; every failure names Jira's oauth_problem or status and what
to do."""

import html
import time

import pytest
import requests
from oauthlib.oauth1 import SIGNATURE_RSA
from requests_oauthlib import OAuth1

from integrations.jira_server import oauth
from integrations.jira_server.client import JiraClient
from integrations.jira_server.selectors import server_context
from integrations.providers import AuthorizationStart, Credentials, get_provider
from tests.fixtures.jira import submit_consent
from tests.integrations.jira_server.conftest import callback, connect_jira, connect_start
from tokens.models import ConnectedAccount

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def test_a_user_authorises_and_the_account_holds_an_rsa_signed_token(
        client, member, jira, jira_installed, linked_connection):
    account = connect_jira(client, member, jira, jira_user="alice")
    assert account.status == ConnectedAccount.Status.ACTIVE
    assert account.access_token and account.token_secret
    assert account.provider_account_name == "Alice Anders"
    assert account.provider_account_email == "alice@example.com"
    assert account.expires_at is not None
    signed = [entry for entry in jira.requests("/plugins/servlet/oauth/") if entry.get("oauth")]
    assert {entry["oauth"]["oauth_signature_method"] for entry in signed} == {"RSA-SHA1"}
    assert {entry["oauth"]["oauth_consumer_key"] for entry in signed} == {
        linked_connection.consumer_key}


def test_the_connected_account_reads_jira_with_its_token(client, member, jira, jira_installed,
                                                         linked_connection):
    account = connect_jira(client, member, jira)
    credentials = Credentials(access_token=account.access_token,
                              token_secret=account.token_secret,
                              connection=server_context(linked_connection.team))
    ticket = get_provider("jira_server").fetch_ticket(credentials, "TEST-1")
    assert ticket.title == "Set up the staging environment"


def test_connecting_before_the_application_link_exists_names_consumer_key_unknown(
        client, member, jira, jira_installed, connection):
    client.force_login(member)
    response = client.get("/integrations/jira_server/connect", {"consent": "continue"})
    text = page_text(response)
    assert response.status_code in (400, 409, 502)
    assert "oauth_problem=consumer_key_unknown" in text
    assert connection.consumer_key in text


def test_a_user_who_denies_access_is_told_so_and_nothing_is_stored(client, member, jira,
                                                                   jira_installed,
                                                                   linked_connection):
    authorize_url = connect_start(client, member)
    decision = submit_consent(jira.base_url, authorize_url, user="alice", decision="deny")
    response = callback(client, decision.headers["Location"])
    assert response.status_code == 400
    assert "declined" in page_text(response)
    assert not ConnectedAccount.objects.filter(user=member).exists()


def test_a_callback_without_jira_s_answer_says_the_callback_was_not_reached(linked_connection):
    server = server_context(linked_connection.team)
    start = oauth.authorization_start(redirect_uri="http://testserver/cb", server=server)
    with pytest.raises(oauth.JiraOAuthError) as refused:
        oauth.authorization_finish(params={}, start=start, redirect_uri="http://testserver/cb",
                                   server=server)
    assert refused.value.error == "callback_not_reached"
    assert "Consumer Callback URL is http://testserver/cb" in refused.value.message


def test_exchanging_a_token_never_approved_says_permission_unknown(linked_connection):
    server = server_context(linked_connection.team)
    start = oauth.authorization_start(redirect_uri="http://testserver/cb", server=server)
    with pytest.raises(oauth.JiraOAuthError) as refused:
        oauth.authorization_finish(
            params={"oauth_token": start.request_token, "oauth_verifier": "guessed"},
            start=start, redirect_uri="http://testserver/cb", server=server)
    assert refused.value.error == "permission_unknown"
    assert "oauth_problem=permission_unknown" in refused.value.message
    assert "Start connecting again" in refused.value.message


def test_a_callback_for_another_request_token_is_refused(linked_connection):
    server = server_context(linked_connection.team)
    start = oauth.authorization_start(redirect_uri="http://testserver/cb", server=server)
    other = AuthorizationStart(url="", state="other", verifier="x", request_token="other")
    with pytest.raises(oauth.JiraOAuthError) as refused:
        oauth.authorization_finish(
            params={"oauth_token": start.request_token, "oauth_verifier": "v"}, start=other,
            redirect_uri="http://testserver/cb", server=server)
    assert refused.value.error == "invalid_state"


def test_clock_skew_is_reported_with_jira_s_acceptable_window(linked_connection, jira):
    """A request signed five minutes and more away from Jira's clock, as a skewed server
    sends it; Jira's real answer goes through the connector's error mapping."""
    server = server_context(linked_connection.team)
    skewed = OAuth1(server.consumer_key, signature_method=SIGNATURE_RSA,
                    rsa_key=server.private_key_pem, callback_uri="oob",
                    timestamp=str(int(time.time()) - 900))
    response = requests.post(jira.url(oauth.REQUEST_TOKEN_PATH), auth=skewed, timeout=5)
    error = oauth.oauth_error(response, server=server, path=oauth.REQUEST_TOKEN_PATH)
    assert error.error == "timestamp_refused" and error.status == 400
    assert "oauth_problem=timestamp_refused, oauth_acceptable_timestamps=" in error.message
    assert "synchronise the Jira server's clock (NTP)" in error.message


def test_a_revoked_token_is_rejected_as_token_rejected_and_asks_to_reconnect(
        client, member, jira, jira_installed, linked_connection):
    account = connect_jira(client, member, jira)
    jira.control("token_revoke", access_token=account.access_token)
    jira_client = JiraClient(server=server_context(linked_connection.team),
                             access_token=account.access_token, token_secret=account.token_secret)
    with pytest.raises(oauth.JiraTokenRejected) as refused:
        jira_client.myself()
    assert refused.value.error == "token_rejected" and refused.value.status == 401
    assert refused.value.needs_reconnect
    assert "Connect your Jira account again" in refused.value.message


def test_a_rest_call_answered_with_html_names_the_proxy(client, member, jira, jira_installed,
                                                        linked_connection):
    account = connect_jira(client, member, jira)
    jira.control("html_mode", enabled=True)
    jira_client = JiraClient(server=server_context(linked_connection.team),
                             access_token=account.access_token, token_secret=account.token_secret)
    with pytest.raises(oauth.JiraOAuthError) as refused:
        jira_client.issue_get("TEST-1")
    assert refused.value.error == "html_answer"
    assert "instead of JSON" in refused.value.message


def test_jira_s_problem_parameters_are_read_from_the_header_when_the_body_has_none():
    response = requests.Response()
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'OAuth realm="x", oauth_problem="token_expired"'
    response.headers["Content-Type"] = "application/json"
    response._content = b'{"errorMessages": []}'
    assert oauth.problem_parameters(response)["oauth_problem"] == "token_expired"


def test_a_callback_without_jira_s_answer_is_explained_through_the_views(
        client, member, jira, jira_installed, linked_connection):
    connect_start(client, member)
    response = client.get("/integrations/jira_server/callback")  # Jira sent nothing back
    text = page_text(response)
    assert response.status_code == 400
    assert "oauth_problem=callback_not_reached" in text
    assert not ConnectedAccount.objects.filter(user=member).exists()


def test_jira_s_oauth_problem_on_the_callback_is_explained_through_the_views(
        client, member, jira, jira_installed, linked_connection):
    connect_start(client, member)
    response = client.get("/integrations/jira_server/callback",
                          {"oauth_problem": "consumer_key_unknown"})
    text = page_text(response)
    assert response.status_code == 400
    assert "oauth_problem=consumer_key_unknown" in text
    assert linked_connection.consumer_key in text
