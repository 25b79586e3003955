"""The Asana simulator's OAuth 2.0: consent, PKCE, client authentication, rotation, expiry."""

from __future__ import annotations

import json
import time

import pytest
import requests
from django.conf import settings

from integrations.sandbox.asana import errors, oauth, seed
from tests.fixtures.asana import (
    ASANA_REDIRECT_URI,
    asana_authorize,
    asana_oauth_tokens,
    asana_token_request,
    pkce_pair,
)


def me(sandbox, access_token: str) -> requests.Response:
    return requests.get(
        sandbox.url("/api/1.0/users/me"),
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=5,
    )


def exchange(sandbox, code: str, verifier: str | None, **extra: str) -> requests.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": ASANA_REDIRECT_URI}
    if verifier is not None:
        form["code_verifier"] = verifier
    return asana_token_request(sandbox, **{**form, **extra})


def refresh(sandbox, refresh_token: str) -> requests.Response:
    return asana_token_request(sandbox, grant_type="refresh_token", refresh_token=refresh_token)


@pytest.fixture
def restore_options(asana_sandbox):
    yield
    asana_sandbox.control("options", token_lifetime=3600, rotate_refresh_tokens=True,
                          refresh_reuse_seconds=0)
    asana_sandbox.control("lose_refresh_answers", times=0)


def test_code_flow_answers_like_asana(asana_sandbox):
    tokens = asana_oauth_tokens(asana_sandbox, user_gid=seed.GRACE)
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["access_token"] and tokens["refresh_token"]
    assert tokens["data"] == {
        "id": int(seed.GRACE),
        "gid": seed.GRACE,
        "name": "Grace Hopper",
        "email": "grace@acme.example",
    }
    assert me(asana_sandbox, tokens["access_token"]).json()["data"]["gid"] == seed.GRACE


def test_deny_redirects_with_access_denied_and_the_state(asana_sandbox):
    _, challenge = pkce_pair()
    redirect = asana_authorize(asana_sandbox, code_challenge=challenge, decision="deny", state="s1")
    assert redirect == {"error": "access_denied", "state": "s1"}


def test_unknown_client_is_shown_an_error_and_never_redirected(asana_sandbox):
    page = requests.get(
        asana_sandbox.url("/-/oauth_authorize"),
        params={"client_id": "someone-else", "redirect_uri": ASANA_REDIRECT_URI},
        allow_redirects=False,
        timeout=5,
    )
    assert page.status_code == 400
    assert oauth.UNKNOWN_CLIENT in page.text


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"scope": "tasks:read everything:write"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
    ids=["plain_pkce", "unknown_scope", "implicit_grant"],
)
def test_bad_authorization_request_redirects_with_an_error(asana_sandbox, params, error):
    _, challenge = pkce_pair()
    query = {
        "client_id": settings.ASANA_CLIENT_ID,
        "redirect_uri": ASANA_REDIRECT_URI,
        "response_type": "code",
        "state": "s2",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **params,
    }
    answer = requests.get(
        asana_sandbox.url("/-/oauth_authorize"), params=query, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302
    assert f"error={error}" in answer.headers["Location"]
    assert "state=s2" in answer.headers["Location"]


def test_wrong_code_verifier_is_refused_as_invalid_grant(asana_sandbox):
    _, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    code = asana_authorize(asana_sandbox, code_challenge=challenge)["code"]
    answer = exchange(asana_sandbox, code, other_verifier)
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": oauth.VERIFIER_MISMATCH}


def test_missing_code_verifier_is_refused_as_invalid_grant(asana_sandbox):
    _, challenge = pkce_pair()
    code = asana_authorize(asana_sandbox, code_challenge=challenge)["code"]
    answer = exchange(asana_sandbox, code, None)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_reused_code_is_refused_and_revokes_the_tokens_it_gave(asana_sandbox):
    verifier, challenge = pkce_pair()
    code = asana_authorize(asana_sandbox, code_challenge=challenge)["code"]
    first = exchange(asana_sandbox, code, verifier)
    assert first.status_code == 200
    second = exchange(asana_sandbox, code, verifier)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    assert me(asana_sandbox, first.json()["access_token"]).status_code == 401
    assert refresh(asana_sandbox, first.json()["refresh_token"]).json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_the_authorization_request(asana_sandbox):
    verifier, challenge = pkce_pair()
    code = asana_authorize(asana_sandbox, code_challenge=challenge)["code"]
    answer = exchange(asana_sandbox, code, verifier, redirect_uri="http://127.0.0.1:9/other")
    assert answer.status_code == 400
    assert answer.json()["error_description"] == oauth.REDIRECT_MISMATCH


def test_wrong_client_secret_is_invalid_client_with_401(asana_sandbox):
    answer = asana_token_request(
        asana_sandbox, grant_type="refresh_token", refresh_token="x", client_secret="wrong"
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert answer.headers["WWW-Authenticate"].startswith("Basic")


def test_http_basic_client_authentication_is_accepted(asana_sandbox):
    verifier, challenge = pkce_pair()
    code = asana_authorize(asana_sandbox, code_challenge=challenge)["code"]
    answer = requests.post(
        asana_sandbox.url("/-/oauth_token"),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": ASANA_REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(settings.ASANA_CLIENT_ID, settings.ASANA_CLIENT_SECRET),
        timeout=5,
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("form", "error"),
    [({}, "invalid_request"), ({"grant_type": "password"}, "unsupported_grant_type")],
    ids=["missing_grant_type", "password_grant"],
)
def test_token_endpoint_refuses_other_grants(asana_sandbox, form, error):
    answer = asana_token_request(asana_sandbox, **form)
    assert answer.status_code == 400
    assert answer.json()["error"] == error


def test_rotated_refresh_token_cannot_be_used_twice(asana_sandbox):
    tokens = asana_oauth_tokens(asana_sandbox)
    first = refresh(asana_sandbox, tokens["refresh_token"])
    assert first.status_code == 200
    assert first.json()["refresh_token"] != tokens["refresh_token"]
    assert me(asana_sandbox, first.json()["access_token"]).status_code == 200

    again = refresh(asana_sandbox, tokens["refresh_token"])
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": oauth.REFRESH_REUSED}
    # The reuse revoked the whole authorization, including the newer tokens.
    assert refresh(asana_sandbox, first.json()["refresh_token"]).status_code == 400
    assert me(asana_sandbox, first.json()["access_token"]).status_code == 401


def test_without_rotation_the_refresh_token_keeps_working(asana_sandbox, restore_options):
    asana_sandbox.control("options", rotate_refresh_tokens=False)
    tokens = asana_oauth_tokens(asana_sandbox)
    for _ in range(2):
        answer = refresh(asana_sandbox, tokens["refresh_token"])
        assert answer.status_code == 200
        assert "refresh_token" not in answer.json()  # Asana keeps the one it gave


def test_spent_refresh_token_is_exchanged_again_within_the_reuse_window(asana_sandbox,
                                                                       restore_options):
    asana_sandbox.control("options", rotate_refresh_tokens=True, refresh_reuse_seconds=30)
    tokens = asana_oauth_tokens(asana_sandbox)
    first = refresh(asana_sandbox, tokens["refresh_token"])
    again = refresh(asana_sandbox, tokens["refresh_token"])  # the first answer was "lost"
    assert again.status_code == 200
    assert again.json()["refresh_token"] not in (tokens["refresh_token"],
                                                 first.json()["refresh_token"])
    assert me(asana_sandbox, again.json()["access_token"]).status_code == 200
    assert refresh(asana_sandbox, again.json()["refresh_token"]).status_code == 200


def test_spent_refresh_token_revokes_the_grant_after_the_reuse_window(asana_sandbox,
                                                                      restore_options):
    asana_sandbox.control("options", rotate_refresh_tokens=True, refresh_reuse_seconds=0.5)
    tokens = asana_oauth_tokens(asana_sandbox)
    first = refresh(asana_sandbox, tokens["refresh_token"]).json()
    time.sleep(0.7)
    again = refresh(asana_sandbox, tokens["refresh_token"])
    assert again.json() == {"error": "invalid_grant", "error_description": oauth.REFRESH_REUSED}
    assert me(asana_sandbox, first["access_token"]).status_code == 401


def test_lost_refresh_answer_is_processed_but_held_back(asana_sandbox, restore_options):
    asana_sandbox.control("options", rotate_refresh_tokens=True, refresh_reuse_seconds=0)
    asana_sandbox.control("lose_refresh_answers", times=1, hang_seconds=5)
    tokens = asana_oauth_tokens(asana_sandbox)
    with pytest.raises(requests.Timeout):
        requests.post(asana_sandbox.url("/-/oauth_token"), timeout=1, data={
            "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
            "client_id": settings.ASANA_CLIENT_ID, "client_secret": settings.ASANA_CLIENT_SECRET})
    # The refresh happened: the token is spent, and without a reuse window the grant is gone.
    assert refresh(asana_sandbox, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_expired_access_token_gets_401(asana_sandbox):
    tokens = asana_oauth_tokens(asana_sandbox)
    assert me(asana_sandbox, tokens["access_token"]).status_code == 200
    asana_sandbox.control("expire_token", access_token=tokens["access_token"])
    answer = me(asana_sandbox, tokens["access_token"])
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["message"] == errors.TOKEN_EXPIRED
    assert me(
        asana_sandbox, refresh(asana_sandbox, tokens["refresh_token"]).json()["access_token"]
    ).ok


def test_access_token_expires_after_token_lifetime(asana_sandbox, restore_options):
    asana_sandbox.control("options", token_lifetime=1)
    tokens = asana_oauth_tokens(asana_sandbox)
    assert tokens["expires_in"] == 1
    assert me(asana_sandbox, tokens["access_token"]).status_code == 200
    time.sleep(1.1)
    assert me(asana_sandbox, tokens["access_token"]).status_code == 401


def test_revoking_a_refresh_token_ends_its_access_tokens(asana_sandbox):
    tokens = asana_oauth_tokens(asana_sandbox)
    answer = requests.post(
        asana_sandbox.url("/-/oauth_revoke"),
        data={
            "client_id": settings.ASANA_CLIENT_ID,
            "client_secret": settings.ASANA_CLIENT_SECRET,
            "token": tokens["refresh_token"],
        },
        timeout=5,
    )
    assert answer.status_code == 200
    assert me(asana_sandbox, tokens["access_token"]).status_code == 401
    assert refresh(asana_sandbox, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_revocation_needs_client_authentication(asana_sandbox):
    tokens = asana_oauth_tokens(asana_sandbox)
    answer = requests.post(
        asana_sandbox.url("/-/oauth_revoke"), data={"token": tokens["access_token"]}, timeout=5
    )
    assert answer.status_code == 401
    assert me(asana_sandbox, tokens["access_token"]).status_code == 200


def test_token_with_narrow_scopes_gets_403_outside_them(asana_sandbox):
    tokens = asana_oauth_tokens(asana_sandbox, scope="tasks:read users:read")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    task = requests.get(
        asana_sandbox.url(f"/api/1.0/tasks/{seed.WEBSITE_TASK_FIRST}"), headers=headers, timeout=5
    )
    assert task.status_code == 200
    tags = requests.get(
        asana_sandbox.url(f"/api/1.0/workspaces/{seed.ACME_WORKSPACE}/tags"),
        headers=headers,
        timeout=5,
    )
    assert tags.status_code == 403
    assert "tags:read" in tags.json()["errors"][0]["message"]


def test_no_code_or_token_value_lands_in_the_request_log(asana_sandbox):
    asana_sandbox.clear_requests()
    verifier, challenge = pkce_pair()
    code = asana_authorize(asana_sandbox, code_challenge=challenge)["code"]
    tokens = exchange(asana_sandbox, code, verifier).json()
    refreshed = refresh(asana_sandbox, tokens["refresh_token"]).json()
    me(asana_sandbox, refreshed["access_token"])
    log = json.dumps(asana_sandbox.requests())
    secrets_seen = [
        code,
        verifier,
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed["access_token"],
        refreshed["refresh_token"],
        settings.ASANA_CLIENT_SECRET,
    ]
    assert not [value for value in secrets_seen if value in log]
    grant_types = [e["grant_type"] for e in asana_sandbox.requests("/-/oauth_token")]
    assert grant_types == ["authorization_code", "refresh_token"]


def test_revoking_an_access_token_leaves_the_refresh_token_working(asana_sandbox):
    tokens = asana_oauth_tokens(asana_sandbox)
    answer = requests.post(
        asana_sandbox.url("/-/oauth_revoke"),
        data={"token": tokens["access_token"]},
        auth=(settings.ASANA_CLIENT_ID, settings.ASANA_CLIENT_SECRET),
        timeout=5,
    )
    assert answer.status_code == 200
    assert me(asana_sandbox, tokens["access_token"]).status_code == 401
    assert refresh(asana_sandbox, tokens["refresh_token"]).status_code == 200


def test_revoke_control_and_expire_by_user(asana_sandbox):
    grace = asana_oauth_tokens(asana_sandbox, user_gid=seed.GRACE)
    alan = asana_oauth_tokens(asana_sandbox, user_gid=seed.ALAN)
    asana_sandbox.control("expire_token", user="grace@acme.example")
    assert me(asana_sandbox, grace["access_token"]).status_code == 401
    assert me(asana_sandbox, alan["access_token"]).status_code == 200
    asana_sandbox.control("revoke_token", token=alan["refresh_token"])
    assert me(asana_sandbox, alan["access_token"]).status_code == 401
