"""Fixtures of the cards tests: a team with its people (team, member and admin from
tests/fixtures/people.py), Asana installed, accounts connected through a real OAuth round trip
against the session's Asana simulator, API clients."""

from __future__ import annotations

import itertools
import secrets
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application
from rest_framework.test import APIClient

from approvals.models import Installation
from cards.models import Board, CardWidget
from integrations.sandbox.asana.seed import ADA
from tests.factories import make_member, make_support, make_team, make_user
from tests.fixtures.asana import asana_oauth_tokens, asana_settings_point_at
from tokens.models import ConnectedAccount

_addresses = itertools.count(2)


@pytest.fixture(autouse=True)
def asana_settings(settings, asana_sandbox):
    """The connector talks to the simulator; loopback egress on, as in the trial."""
    asana_settings_point_at(settings, asana_sandbox)
    return settings


@pytest.fixture
def sandbox(asana_sandbox):
    """The simulator with no fault and an empty request log; its seed is restored afterwards
    (tests here write tasks and create webhooks)."""
    asana_sandbox.clear_faults()
    asana_sandbox.clear_requests()
    yield asana_sandbox
    asana_sandbox.clear_faults()
    asana_sandbox.reset()


@pytest.fixture
def other_team(db):
    return make_team()


@pytest.fixture
def outsider(other_team):
    """A member of another team."""
    return make_member(other_team)


@pytest.fixture
def support(db):
    return make_support()


@pytest.fixture
def installed(team, admin):
    return Installation.objects.create(team=team, integration="asana",
                                       installed_by=admin)


def connect_asana(sandbox, *, user, team, user_gid: str = ADA) -> ConnectedAccount:
    """The user's Asana account, with tokens from the whole authorization code flow (PKCE)
    against the simulator, asking for the scopes Conduit asks for."""
    from integrations.asana.oauth import SCOPES

    body = asana_oauth_tokens(sandbox, user_gid=user_gid, scope=" ".join(SCOPES))
    return ConnectedAccount.objects.create(
        user=user, team=team, integration="asana",
        access_token=body["access_token"], refresh_token=body["refresh_token"],
        expires_at=timezone.now() + timedelta(seconds=int(body["expires_in"])),
        scopes=" ".join(SCOPES),
        provider_account_id=body["data"]["gid"], provider_account_name=body["data"]["name"],
        provider_account_email=body["data"].get("email", ""),
    )


@pytest.fixture
def member_account(sandbox, team, member, installed):
    return connect_asana(sandbox, user=member, team=team)


@pytest.fixture
def board(team, member):
    return Board.objects.create(team=team, name="Launch", created_by=member)


def make_card(board, external_id: str = "1100000000100001", **fields) -> CardWidget:
    values = {"url": f"https://app.asana.com/0/0/{external_id}", "title": "Stored title",
              "description": "Stored notes", "status": "open", **fields}
    return CardWidget.objects.create(board=board, provider="asana",
                                     external_id=external_id, **values)


def loopback_address() -> str:
    """A fresh loopback address per client: DRF's anonymous throttle counts per address, and
    one test's requests must never reach another test's budget."""
    number = next(_addresses)
    return f"127.{number // 62500 % 250 + 1}.{number // 250 % 250}.{number % 250 + 1}"


def api_client(user=None) -> APIClient:
    """A browser-like client: the user's session, CSRF enforced as in production, with the
    token a page would have given it (cookie + X-CSRFToken header)."""
    from django.middleware.csrf import _get_new_csrf_string

    client = APIClient(enforce_csrf_checks=True, REMOTE_ADDR=loopback_address())
    if user is not None:
        client.force_login(user)
        token = _get_new_csrf_string()
        client.cookies["csrftoken"] = token
        client.credentials(HTTP_X_CSRFTOKEN=token)
    return client


def bearer_client(user, *, scope: str) -> APIClient:
    """An API client holding a Conduit-issued bearer token with exactly `scope`."""
    application = Application.objects.create(
        name="Board plug-in", user=make_user(), client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://plugin.example/callback",
    )
    token = AccessToken.objects.create(
        user=user, application=application, token=secrets.token_urlsafe(30),
        expires=timezone.now() + timedelta(hours=1), scope=scope,
    )
    client = APIClient(REMOTE_ADDR=loopback_address())
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    return client
