"""Conduit as the API's OAuth 2.0 server (/o/): authorization code with PKCE for a plug-in, the
token used as a bearer on /api/v1/, scopes enforced; and the docs page under the strict CSP."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from oauth2_provider.models import Application

from tests.cards.conftest import loopback_address
from tests.factories import make_user
from tests.fixtures.asana import pkce_pair

pytestmark = pytest.mark.django_db

REDIRECT_URI = "https://plugin.example/callback"


@pytest.fixture
def application(db):
    return Application.objects.create(
        name="Board plug-in", user=make_user(), client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI, algorithm="",
    )


def _authorize(client: Client, application, *, challenge: str | None, scope: str):
    query = {"response_type": "code", "client_id": application.client_id,
             "redirect_uri": REDIRECT_URI, "scope": scope, "state": "plugin-state"}
    if challenge is not None:
        query.update(code_challenge=challenge, code_challenge_method="S256")
    page = client.get("/o/authorize/", query)
    return page, {**query, "allow": "Authorize"}


def test_a_plugin_gets_a_token_with_pkce_and_calls_the_api_within_its_scope(application,
                                                                            member, board):
    browser = Client(REMOTE_ADDR=loopback_address())
    browser.force_login(member)
    verifier, challenge = pkce_pair()
    page, form = _authorize(browser, application, challenge=challenge, scope="read")
    assert page.status_code == 200
    assert "Board plug-in" in page.content.decode()
    consent = browser.post("/o/authorize/", form)
    assert consent.status_code == 302
    location = urlsplit(consent["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    answer = parse_qs(location.query)
    assert answer["state"] == ["plugin-state"]

    plugin = Client(REMOTE_ADDR=loopback_address())
    token = plugin.post("/o/token/", {
        "grant_type": "authorization_code", "code": answer["code"][0],
        "redirect_uri": REDIRECT_URI, "client_id": application.client_id,
        "code_verifier": verifier,
    })
    assert token.status_code == 200, token.content
    body = token.json()
    assert body["scope"] == "read" and body["refresh_token"]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {body['access_token']}"}
    me = plugin.get("/api/v1/me", **bearer)
    assert me.status_code == 200
    assert me.json()["username"] == member.username
    assert plugin.get(f"/api/v1/boards/{board.pk}/cards/", **bearer).status_code == 200
    refused = plugin.post(f"/api/v1/boards/?team={board.team_id}", {"name": "X"},
                          content_type="application/json", **bearer)
    assert refused.status_code == 403


def test_authorization_without_pkce_is_refused(application, member):
    browser = Client(REMOTE_ADDR=loopback_address())
    browser.force_login(member)
    page, _ = _authorize(browser, application, challenge=None, scope="read")
    assert page.status_code == 302
    answer = parse_qs(urlsplit(page["Location"]).query)
    assert answer["error"] == ["invalid_request"]
    assert "code" not in answer


def test_a_wrong_code_verifier_gets_no_token(application, member):
    browser = Client(REMOTE_ADDR=loopback_address())
    browser.force_login(member)
    _, challenge = pkce_pair()
    _, form = _authorize(browser, application, challenge=challenge, scope="read write")
    consent = browser.post("/o/authorize/", form)
    code = parse_qs(urlsplit(consent["Location"]).query)["code"][0]
    token = Client(REMOTE_ADDR=loopback_address()).post("/o/token/", {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
        "client_id": application.client_id, "code_verifier": pkce_pair()[0],
    })
    assert token.status_code == 400
    assert token.json()["error"] == "invalid_grant"


def test_application_management_is_not_exposed_under_o(member):
    browser = Client(REMOTE_ADDR=loopback_address())
    browser.force_login(member)
    assert browser.get("/o/applications/").status_code == 404
    assert browser.get("/o/authorized_tokens/").status_code == 404


def test_docs_page_lists_the_operations_and_runs_no_inline_code(member):
    browser = Client(REMOTE_ADDR=loopback_address())
    browser.force_login(member)
    page = browser.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    for operation in ("GET /api/v1/me", "PATCH /api/v1/cards/{card_id}",
                      "POST /api/v1/boards/{board_id}/unfurls/"):
        assert operation in html
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None  # no inline script
    assert re.search(r"\sstyle=", html) is None and "<style" not in html
    assert re.search(r"\son[a-z]+=", html) is None  # no inline event handlers
