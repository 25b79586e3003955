"""Asana OAuth 2.0 (PKCE S256) against the simulator: consent, exchange, refresh, revoke."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from integrations.asana.oauth_transport import is_loopback_http
from integrations.errors import ApiRateLimited, ApiTimeout, ApiUnavailable, OAuthError
from integrations.providers import AuthorizationStart, get_provider
from integrations.sandbox.asana.seed import ADA, GRACE, USER_EMAILS
from tests.fixtures.asana import _ConsentForm

REDIRECT_URI = "http://127.0.0.1:9/integrations/asana/callback"  # never contacted


def consent(start: AuthorizationStart, *, user: str = ADA, decision: str = "allow") -> dict:
    """What a browser does: open the consent page, pick the user, press a button."""
    browser = requests.Session()
    page = browser.get(start.url, timeout=5)
    page.raise_for_status()
    form = _ConsentForm()
    form.feed(page.text)
    answer = browser.post(
        urlsplit(start.url)._replace(path=form.action, query="").geturl(),
        data={**form.fields, "user": user, "decision": form.buttons[decision]},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def connect(user: str = ADA):
    provider = get_provider("asana")
    start = provider.authorization_start(redirect_uri=REDIRECT_URI)
    params = consent(start, user=user)
    return provider.authorization_finish(params=params, start=start, redirect_uri=REDIRECT_URI)


def test_authorization_url_asks_for_least_privilege_scopes_with_pkce_and_state(sandbox):
    start = get_provider("asana").authorization_start(redirect_uri=REDIRECT_URI)
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.url).query).items()}
    assert start.url.startswith(sandbox.url("/-/oauth_authorize?"))
    assert query["scope"] == (
        "tasks:read tasks:write users:read tags:read projects:read workspaces:read "
        "custom_fields:read attachments:read webhooks:write webhooks:delete"
    )
    assert query["code_challenge_method"] == "S256"
    assert query["state"] == start.state and len(start.state) >= 32
    assert query["redirect_uri"] == REDIRECT_URI
    assert query["response_type"] == "code"
    assert start.verifier and start.verifier not in start.url


def test_round_trip_returns_tokens_and_the_asana_user(sandbox):
    tokens = connect(GRACE)
    assert tokens.access_token and tokens.refresh_token
    assert tokens.account_id == GRACE
    assert tokens.account_email == USER_EMAILS[GRACE]
    assert tokens.expires_at is not None
    exchange = [e for e in sandbox.requests("/-/oauth_token")]
    assert [e["grant_type"] for e in exchange] == ["authorization_code"]


def test_callback_with_another_state_is_refused_before_any_exchange(sandbox):
    provider = get_provider("asana")
    start = provider.authorization_start(redirect_uri=REDIRECT_URI)
    params = consent(start)
    with pytest.raises(OAuthError) as caught:
        provider.authorization_finish(
            params={**params, "state": "forged"}, start=start, redirect_uri=REDIRECT_URI
        )
    assert caught.value.error == "invalid_state"
    assert sandbox.requests("/-/oauth_token") == []


def test_exchange_with_a_wrong_code_verifier_is_invalid_grant(sandbox):
    provider = get_provider("asana")
    start = provider.authorization_start(redirect_uri=REDIRECT_URI)
    params = consent(start)
    other = AuthorizationStart(url=start.url, state=start.state, verifier="x" * 64)
    with pytest.raises(OAuthError) as caught:
        provider.authorization_finish(params=params, start=other, redirect_uri=REDIRECT_URI)
    assert caught.value.error == "invalid_grant"


def test_denied_consent_is_access_denied(sandbox):
    provider = get_provider("asana")
    start = provider.authorization_start(redirect_uri=REDIRECT_URI)
    params = consent(start, decision="deny")
    with pytest.raises(OAuthError) as caught:
        provider.authorization_finish(params=params, start=start, redirect_uri=REDIRECT_URI)
    assert caught.value.error == "access_denied"
    assert not caught.value.needs_reconnect


def test_refresh_with_rotation_returns_the_new_refresh_token(sandbox):
    sandbox.control("options", rotate_refresh_tokens=True)
    tokens = connect()
    refreshed = get_provider("asana").refresh(refresh_token=tokens.refresh_token)
    assert refreshed.access_token != tokens.access_token
    assert refreshed.refresh_token and refreshed.refresh_token != tokens.refresh_token
    assert refreshed.account_id == ADA


def test_refresh_without_rotation_leaves_the_refresh_token_to_keep(sandbox):
    sandbox.control("options", rotate_refresh_tokens=False)
    try:
        tokens = connect()
        provider = get_provider("asana")
        first = provider.refresh(refresh_token=tokens.refresh_token)
        second = provider.refresh(refresh_token=tokens.refresh_token)
    finally:
        sandbox.control("options", rotate_refresh_tokens=True)
    assert first.refresh_token is None and second.refresh_token is None
    assert first.access_token != second.access_token


def test_reused_rotated_refresh_token_needs_reconnect(sandbox):
    tokens = connect()
    provider = get_provider("asana")
    provider.refresh(refresh_token=tokens.refresh_token)
    with pytest.raises(OAuthError) as caught:
        provider.refresh(refresh_token=tokens.refresh_token)
    assert caught.value.error == "invalid_grant"
    assert caught.value.needs_reconnect
    assert caught.value.status == 400


def test_refresh_of_an_unknown_token_needs_reconnect(sandbox):
    with pytest.raises(OAuthError) as caught:
        get_provider("asana").refresh(refresh_token="2/0/not-a-token")
    assert caught.value.needs_reconnect


def test_revoke_ends_the_authorization(sandbox):
    tokens = connect()
    provider = get_provider("asana")
    provider.revoke(token=tokens.refresh_token)
    revoked = [e for e in sandbox.requests("/-/oauth_revoke")]
    assert len(revoked) == 1
    with pytest.raises(OAuthError) as caught:
        provider.refresh(refresh_token=tokens.refresh_token)
    assert caught.value.needs_reconnect


def test_refresh_answered_503_is_unavailable_not_reconnect(sandbox):
    tokens = connect()
    sandbox.fault(path_prefix="/-/oauth_token", status=503, times=1)
    with pytest.raises(ApiUnavailable) as caught:
        get_provider("asana").refresh(refresh_token=tokens.refresh_token)
    assert not isinstance(caught.value, OAuthError)
    # The working refresh token was not consumed.
    assert get_provider("asana").refresh(refresh_token=tokens.refresh_token).access_token


def test_refresh_answered_429_is_rate_limited_with_retry_after(sandbox):
    sandbox.fault(path_prefix="/-/oauth_token", status=429, retry_after=7, times=1)
    with pytest.raises(ApiRateLimited) as caught:
        get_provider("asana").refresh(refresh_token="2/0/any")
    assert caught.value.retry_after == 7


def test_refresh_that_times_out_is_api_timeout(sandbox, settings):
    settings.EGRESS_MAX_TIMEOUT = 0.3  # caps the connector's own timeout
    sandbox.fault(path_prefix="/-/oauth_token", hang_seconds=1.5, times=1)
    with pytest.raises(ApiTimeout):
        get_provider("asana").refresh(refresh_token="2/0/any")


def test_revoke_answered_500_is_unavailable(sandbox):
    sandbox.fault(path_prefix="/-/oauth_revoke", status=500, times=1)
    with pytest.raises(ApiUnavailable):
        get_provider("asana").revoke(token="2/0/any")


def test_plain_http_is_only_relaxed_for_loopback():
    assert is_loopback_http("http://127.0.0.1:8101/-/oauth_token")
    assert is_loopback_http("http://localhost/-/")
    assert not is_loopback_http("http://app.asana.com/-/oauth_token")
    assert not is_loopback_http("http://[::ffff:127.0.0.1]/")
    assert not is_loopback_http("https://127.0.0.1/")


def test_http_oauth_endpoint_is_refused_without_loopback_permission(sandbox, settings):
    settings.EGRESS_ALLOW_LOOPBACK = False
    with pytest.raises(OAuthError) as caught:
        get_provider("asana").authorization_start(redirect_uri=REDIRECT_URI)
    assert caught.value.error == "insecure_transport"
