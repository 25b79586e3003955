"""Bad input to the login page and to /o/token/ answers a form error or an OAuth 400, never a
500: a 5,000-character username (django-axes' column holds 255) and NUL bytes, which
PostgreSQL refuses in text, in the authorization code, client id and refresh token."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import Application

from config.forms import USERNAME_TOO_LONG
from tests.cards.conftest import loopback_address
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

REDIRECT_URI = "https://plugin.example/callback"


def browser() -> Client:
    return Client(raise_request_exception=False, REMOTE_ADDR=loopback_address())


@pytest.mark.parametrize("username", ["u" * 5000, "u" * 151])
def test_an_overlong_username_is_a_form_error(username):
    response = browser().post(reverse("login"), {"username": username, "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors["username"] == [USERNAME_TOO_LONG]


@pytest.mark.parametrize("username", ["a\x00b", "\x00"])
def test_a_nul_byte_in_the_username_is_a_form_error(username):
    response = browser().post(reverse("login"), {"username": username, "password": "x"})
    assert response.status_code == 200 and response.context["form"].errors


def test_the_login_form_still_logs_in():
    user = make_user()
    response = browser().post(reverse("login"), {"username": user.username,
                                                 "password": PASSWORD})
    assert response.status_code == 302


@pytest.fixture
def application(db):
    return Application.objects.create(
        name="Board plug-in", user=make_user(), client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI, algorithm="",
    )


@pytest.mark.parametrize("code", ["abc\x00def", "\x00"])
def test_a_nul_byte_in_the_authorization_code_is_invalid_grant(application, code):
    response = browser().post("/o/token/", {
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
        "client_id": application.client_id, "code_verifier": "v" * 43,
    })
    assert response.status_code == 400, response.status_code
    assert response.json()["error"] == "invalid_grant"


def test_a_nul_byte_in_the_refresh_token_is_invalid_grant(application):
    response = browser().post("/o/token/", {
        "grant_type": "refresh_token", "refresh_token": "r\x00t",
        "client_id": application.client_id,
    })
    assert response.status_code == 400, response.status_code
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("path", ["/o/token/", "/o/revoke_token/"])
def test_a_nul_byte_in_the_client_id_is_an_oauth_400(application, path):
    response = browser().post(path, {
        "grant_type": "authorization_code", "code": "abc", "redirect_uri": REDIRECT_URI,
        "client_id": "x\x00y", "code_verifier": "v" * 43, "token": "t",
    })
    assert 400 <= response.status_code < 500, response.status_code


def test_a_nul_byte_in_the_token_to_revoke_is_not_a_500(application):
    response = browser().post("/o/revoke_token/", {"client_id": application.client_id,
                                                   "token": "t\x00k"})
    assert response.status_code in (200, 400), response.status_code


def test_a_nul_byte_in_a_bearer_token_is_a_401(application):
    response = browser().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer t\x00k")
    assert response.status_code == 401, response.status_code


def test_a_nul_byte_in_the_client_id_at_authorize_is_not_a_500(application):
    client = browser()
    client.force_login(make_user())
    response = client.get("/o/authorize/", {
        "response_type": "code", "client_id": "x\x00y", "redirect_uri": REDIRECT_URI,
        "code_challenge": "c" * 43, "code_challenge_method": "S256",
    })
    assert 200 <= response.status_code < 500, response.status_code


def test_an_overlong_username_on_the_console_login_is_a_form_error():
    response = browser().post(reverse("admin:login"), {"username": "u" * 5000, "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors["username"] == [USERNAME_TOO_LONG]
