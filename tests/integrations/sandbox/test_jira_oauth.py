"""The Jira simulator's OAuth 1.0a: the dance, and refusals shaped as Jira Server reports them."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import requests
from oauthlib.oauth1 import SIGNATURE_HMAC, SIGNATURE_RSA, Client
from requests_oauthlib import OAuth1

from tests.fixtures.jira import (
    JIRA_CALLBACK,
    JiraConsumer,
    jira_auth,
    jira_oauth_dance,
    start_authorization,
    submit_consent,
)


def oauth_problem(response: requests.Response) -> str:
    return parse_qs(response.text)["oauth_problem"][0]


def test_oauth_dance_gives_a_token_that_acts_as_the_consenting_user(jira_sandbox, jira_consumer):
    token = jira_oauth_dance(jira_sandbox.base_url, jira_consumer, user="bob")

    me = requests.get(
        f"{jira_sandbox.base_url}/rest/api/2/myself",
        auth=jira_auth(jira_consumer, token),
        timeout=5,
    )

    assert me.status_code == 200
    assert me.json()["name"] == "bob"
    assert token["oauth_expires_in"] == str(5 * 365 * 24 * 3600)
    assert "oauth_session_handle" in token


def test_consent_allow_redirects_to_the_callback_with_token_and_verifier(
    jira_sandbox, jira_consumer
):
    _, authorize_url = start_authorization(jira_sandbox.base_url, jira_consumer)
    request_token = parse_qs(urlsplit(authorize_url).query)["oauth_token"][0]

    decision = submit_consent(
        jira_sandbox.base_url, authorize_url, user="alice", decision="approve"
    )

    location = decision.headers["Location"]
    assert location.startswith(JIRA_CALLBACK + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["oauth_token"] == [request_token]
    assert query["oauth_verifier"][0]


def test_consent_deny_redirects_with_denied_verifier_and_access_token_is_refused(
    jira_sandbox, jira_consumer
):
    session, authorize_url = start_authorization(jira_sandbox.base_url, jira_consumer)

    decision = submit_consent(jira_sandbox.base_url, authorize_url, user="alice", decision="deny")

    assert parse_qs(urlsplit(decision.headers["Location"]).query)["oauth_verifier"] == ["denied"]
    session.parse_authorization_response(decision.headers["Location"])
    exchange = session.post(f"{jira_sandbox.base_url}/plugins/servlet/oauth/access-token")
    assert exchange.status_code == 401
    assert oauth_problem(exchange) == "permission_denied"


def test_access_token_before_consent_is_permission_unknown(jira_sandbox, jira_consumer):
    session, authorize_url = start_authorization(jira_sandbox.base_url, jira_consumer)
    session.auth.client.verifier = "guessed"

    exchange = session.post(f"{jira_sandbox.base_url}/plugins/servlet/oauth/access-token")

    assert exchange.status_code == 401
    assert oauth_problem(exchange) == "permission_unknown"


def test_request_signed_with_another_key_is_refused_as_signature_invalid(
    jira_sandbox, jira_consumer, jira_alice_token, other_rsa_keys
):
    auth = jira_auth(jira_consumer, jira_alice_token, rsa_key=other_rsa_keys.private_pem)

    response = requests.get(f"{jira_sandbox.base_url}/rest/api/2/myself", auth=auth, timeout=5)

    assert response.status_code == 401
    assert oauth_problem(response) == "signature_invalid"
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('OAuth realm="http%3A%2F%2F127.0.0.1%3A')
    assert 'oauth_problem="signature_invalid"' in challenge
    base_string = parse_qs(response.text)["oauth_signature_base_string"][0]
    assert base_string.startswith("GET&http%3A%2F%2F127.0.0.1%3A")


def test_request_token_signed_with_another_key_is_refused(
    jira_sandbox, jira_consumer, other_rsa_keys
):
    auth = OAuth1(
        jira_consumer.key,
        signature_method=SIGNATURE_RSA,
        rsa_key=other_rsa_keys.private_pem,
        callback_uri=JIRA_CALLBACK,
    )

    response = requests.post(
        f"{jira_sandbox.base_url}/plugins/servlet/oauth/request-token", auth=auth, timeout=5
    )

    assert response.status_code == 401
    assert oauth_problem(response) == "signature_invalid"


def test_unknown_consumer_is_refused(jira_sandbox, jira_consumer):
    stranger = JiraConsumer("not-an-applink", "Stranger", jira_consumer.keys)
    auth = OAuth1(
        stranger.key,
        signature_method=SIGNATURE_RSA,
        rsa_key=stranger.keys.private_pem,
        callback_uri=JIRA_CALLBACK,
    )

    response = requests.post(
        f"{jira_sandbox.base_url}/plugins/servlet/oauth/request-token", auth=auth, timeout=5
    )

    assert response.status_code == 401
    assert oauth_problem(response) == "consumer_key_unknown"
    assert 'oauth_problem="consumer_key_unknown"' in response.headers["WWW-Authenticate"]


def test_stale_timestamp_is_refused_as_timestamp_refused(
    jira_sandbox, jira_consumer, jira_alice_token
):
    an_hour_ago = str(int(time.time()) - 3600)
    auth = jira_auth(jira_consumer, jira_alice_token, timestamp=an_hour_ago)

    response = requests.get(f"{jira_sandbox.base_url}/rest/api/2/myself", auth=auth, timeout=5)

    # net.oauth, under Jira's OAuth provider, maps timestamp_refused to 400.
    assert response.status_code == 400
    assert oauth_problem(response) == "timestamp_refused"
    low, high = parse_qs(response.text)["oauth_acceptable_timestamps"][0].split("-")
    assert int(low) <= time.time() <= int(high)


def test_replayed_nonce_is_refused(jira_sandbox, jira_consumer, jira_alice_token):
    url = f"{jira_sandbox.base_url}/rest/api/2/myself"
    headers = signed_headers(jira_consumer, jira_alice_token, url)

    first = requests.get(url, headers=headers, timeout=5)
    replay = requests.get(url, headers=headers, timeout=5)

    assert first.status_code == 200
    assert replay.status_code == 401
    assert oauth_problem(replay) == "nonce_used"


def test_hmac_signed_request_is_refused(jira_sandbox, jira_consumer, jira_alice_token):
    auth = jira_auth(jira_consumer, jira_alice_token, signature_method=SIGNATURE_HMAC, rsa_key=None)

    response = requests.get(f"{jira_sandbox.base_url}/rest/api/2/myself", auth=auth, timeout=5)

    assert response.status_code == 401
    assert oauth_problem(response) == "signature_invalid"


def test_revoked_token_is_rejected(jira_sandbox, jira_consumer, jira_alice_token):
    jira_sandbox.control("token_revoke", access_token=jira_alice_token["oauth_token"])

    response = requests.get(
        f"{jira_sandbox.base_url}/rest/api/2/myself",
        auth=jira_auth(jira_consumer, jira_alice_token),
        timeout=5,
    )

    assert response.status_code == 401
    assert oauth_problem(response) == "token_rejected"


def test_expired_token_is_refused_as_token_expired(jira_sandbox, jira_consumer, jira_alice_token):
    jira_sandbox.control("token_expire", user="alice", consumer_key=jira_consumer.key)

    response = requests.get(
        f"{jira_sandbox.base_url}/rest/api/2/myself",
        auth=jira_auth(jira_consumer, jira_alice_token),
        timeout=5,
    )

    assert response.status_code == 401
    assert oauth_problem(response) == "token_expired"


def test_request_log_never_holds_oauth_secrets(jira_sandbox, jira_consumer, jira_alice_token):
    jira_sandbox.clear_requests()
    requests.get(
        f"{jira_sandbox.base_url}/rest/api/2/myself",
        auth=jira_auth(jira_consumer, jira_alice_token),
        timeout=5,
    )

    entries = jira_sandbox.requests("/rest/api/2/myself")
    log = json.dumps(jira_sandbox.requests())

    assert entries[0]["oauth"]["oauth_consumer_key"] == jira_consumer.key
    assert entries[0]["oauth"]["oauth_token"] == "[present]"
    assert entries[0]["oauth"]["oauth_signature"] == "[present]"
    assert jira_alice_token["oauth_token"] not in log
    assert jira_alice_token["oauth_token_secret"] not in log


def test_consent_page_with_unknown_token_answers_token_rejected(jira_sandbox, jira_consumer):
    page = requests.get(
        f"{jira_sandbox.base_url}/plugins/servlet/oauth/authorize",
        params={"oauth_token": "no-such-token"},
        timeout=5,
    )

    assert page.status_code == 401
    assert 'oauth_problem="token_rejected"' in page.headers["WWW-Authenticate"]
    assert "token_rejected" in page.text


def signed_headers(consumer, token, url: str) -> dict[str, str]:
    client = Client(
        consumer.key,
        signature_method=SIGNATURE_RSA,
        rsa_key=consumer.keys.private_pem,
        resource_owner_key=token["oauth_token"],
        resource_owner_secret=token["oauth_token_secret"],
    )
    return client.sign(url)[1]


def test_signed_uri_is_rebuilt_from_the_host_header(jira_sandbox, jira_consumer, jira_alice_token):
    headers = signed_headers(
        jira_consumer, jira_alice_token, "http://jira.example.com/rest/api/2/myself"
    )

    response = requests.get(
        f"{jira_sandbox.base_url}/rest/api/2/myself",
        headers={**headers, "Host": "jira.example.com"},
        timeout=5,
    )

    assert response.status_code == 200
    assert response.json()["name"] == "alice"


def test_request_signed_for_another_host_is_refused_as_signature_invalid(
    jira_sandbox, jira_consumer, jira_alice_token
):
    # A proxy that rewrites Host: the URI Jira rebuilds is not the one the client signed.
    headers = signed_headers(
        jira_consumer, jira_alice_token, "http://jira.example.com/rest/api/2/myself"
    )

    response = requests.get(
        f"{jira_sandbox.base_url}/rest/api/2/myself", headers=headers, timeout=5
    )

    assert response.status_code == 401
    assert oauth_problem(response) == "signature_invalid"
