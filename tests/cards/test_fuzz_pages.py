"""Hypothesis over the HTML forms and query parameters of the pages that took bad input badly
(issue 10): the integrations pages (connect, callback, disconnect, uninstall for me, request
install), the boards page and its new-board form, the board page, the login forms and Conduit's
OAuth endpoints (/o/authorize/, /o/token/, /o/revoke_token/). No answer may be a 5xx.

Deterministic and bounded: `derandomize=True` (the examples follow from the test's code, not a
seed that changes per run), no example database, and a fixed example budget per form, so CI
runs the same requests every time in well under a minute. The user is a real member of a real
team with Asana installed and connected through the simulator's OAuth flow.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from oauth2_provider.models import Application

from tests.cards.conftest import connect_asana, loopback_address
from tests.factories import make_user

pytestmark = pytest.mark.django_db

EXAMPLES = 40  # per form: about 1-2 s each against the test database
NASTY = [
    "", " ", "0", "-1", "1.5", "²", "١", "①", "𝟙", "9" * 19, "9" * 40, "9" * 5000, "\x00",
    "a\x00b", "/\x00", "%00", "😀", "/😀", "/", "//evil.example/", "/\\evil.example",
    "https://evil.example/", "javascript:alert(1)", "\u202e", "x" * 5000, "' OR 1=1 --",
    "{{ 7|add:7 }}", "<script>alert(1)</script>", "[]", "{}", "null", "true", "\r\nX: y",
    "/integrations/", "/boards/1", "/admin/", "?next=/", "#", "..", "../..",
]
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
VALUES = st.one_of(st.sampled_from(NASTY), TEXT, st.integers(-(2**70), 2**70).map(str))
INTEGRATIONS = st.one_of(st.sampled_from(["asana", "jira_server", "nope", "ASANA", "asana%00"]),
                         st.text(max_size=20))


def fuzz(corners: list[dict] | None = None,
         **strategies: st.SearchStrategy) -> Callable[[Callable[..., None]], None]:
    """Runs the decorated function at once (inside the pytest test, so fixtures are built once
    and the database stays the test's): first every corner case, then the fixed, derandomized
    budget of generated examples."""

    def run(test: Callable[..., None]) -> None:
        wrapped = given(**strategies)(test)
        for corner in reversed(corners or []):
            wrapped = example(**corner)(wrapped)
        settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                 suppress_health_check=list(HealthCheck))(wrapped)()

    return run


def corner_cases(text_fields: list[str], *, team_id: int | None = None,
                 **fixed: object) -> list[dict]:
    """Each NASTY value in every text field at once and, when `team_id` is given, the same with
    the real team, so a bad value meets code that runs only for a member of the team."""
    cases = []
    for value in NASTY:
        cases.append({**fixed, **{name: value for name in text_fields}})
        if team_id is not None:
            cases.append({**fixed, **{name: value for name in text_fields},
                          "team_id": str(team_id)})
    return cases


def assert_no_server_error(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"


def form_values(team_id: int) -> st.SearchStrategy:
    """A value for any field: a nasty one, random text, a number, or the real team's id."""
    return st.one_of(VALUES, st.just(str(team_id)))


@pytest.fixture
def browser(sandbox, team, member, installed):
    """The member, connected to Asana, in a browser whose 500s are answers, not exceptions."""
    connect_asana(sandbox, user=member, team=team)
    client = Client(raise_request_exception=False, REMOTE_ADDR=loopback_address())
    client.force_login(member)
    return client


@pytest.mark.parametrize("action", ["connect", "disconnect", "uninstall-for-me",
                                    "request-install"])
def test_integration_forms_never_answer_a_server_error(browser, team, action):
    @fuzz(corner_cases(["team_id", "next_url"], team_id=team.pk, integration="asana", extra={}),
          integration=INTEGRATIONS, team_id=form_values(team.pk), next_url=VALUES,
          extra=st.dictionaries(TEXT, TEXT, max_size=2))
    def post(integration: str, team_id: str, next_url: str, extra: dict[str, str]) -> None:
        path = f"/integrations/{quote(integration, safe='')}/{action}"
        response = browser.post(path, {**extra, "team": team_id, "next": next_url})
        assert_no_server_error(response, f"POST {path} team={team_id!r} next={next_url!r}")


def test_connect_and_integrations_query_parameters_never_answer_a_server_error(browser, team):
    @fuzz(corner_cases(["team_id", "next_url"], team_id=team.pk, integration="asana"),
          integration=INTEGRATIONS, team_id=form_values(team.pk), next_url=VALUES)
    def get(integration: str, team_id: str, next_url: str) -> None:
        path = f"/integrations/{quote(integration, safe='')}/connect"
        response = browser.get(path, {"team": team_id, "next": next_url})
        assert_no_server_error(response, f"GET {path} team={team_id!r} next={next_url!r}")
        assert_no_server_error(browser.get("/integrations/", {"team": team_id}), "GET page")


def test_callback_query_parameters_never_answer_a_server_error(browser, team):
    names = st.sampled_from(["code", "state", "oauth_token", "oauth_verifier", "error",
                             "error_description", "iss"])

    @fuzz([{"integration": "asana", "start_first": True,
            "params": {"code": value, "state": value, "oauth_token": value}}
           for value in NASTY],
          integration=INTEGRATIONS, params=st.dictionaries(names, VALUES, max_size=4),
          start_first=st.booleans())
    def get(integration: str, params: dict[str, str], start_first: bool) -> None:
        if start_first:  # a stored flow, so the state comparison itself is reached
            browser.get("/integrations/asana/connect", {"team": team.pk, "consent": "continue"})
        path = f"/integrations/{quote(integration, safe='')}/callback"
        assert_no_server_error(browser.get(path, params), f"GET {path} {params!r}")


def test_boards_page_form_and_board_page_never_answer_a_server_error(browser, team):
    @fuzz(corner_cases(["name", "team_id", "board_id"], team_id=team.pk),
          name=VALUES, team_id=form_values(team.pk), board_id=VALUES)
    def post(name: str, team_id: str, board_id: str) -> None:
        created = browser.post("/", {"name": name, "team": team_id})
        assert_no_server_error(created, f"POST / name={name!r} team={team_id!r}")
        board = browser.get(f"/boards/{quote(board_id, safe='')}")
        assert_no_server_error(board, f"GET /boards/{board_id!r}")


@pytest.mark.parametrize("path", ["/login", "/admin/login/"])
def test_login_forms_never_answer_a_server_error(db, path):
    anonymous = Client(raise_request_exception=False, REMOTE_ADDR=loopback_address())

    @fuzz(corner_cases(["username", "password", "next_url"]),
          username=VALUES, password=VALUES, next_url=VALUES)
    def post(username: str, password: str, next_url: str) -> None:
        response = anonymous.post(path, {"username": username, "password": password,
                                         "next": next_url})
        assert_no_server_error(response, f"POST {path} username={username[:40]!r}")
        assert_no_server_error(anonymous.get(path, {"next": next_url}), f"GET {path}")


@pytest.fixture
def plugin(db):
    return Application.objects.create(
        name="Board plug-in", user=make_user(), client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://plugin.example/callback", algorithm="",
    )


def test_oauth_endpoints_never_answer_a_server_error(plugin, member):
    names = st.sampled_from(["grant_type", "code", "redirect_uri", "client_id", "code_verifier",
                             "refresh_token", "token", "token_type_hint", "scope",
                             "response_type", "state", "code_challenge",
                             "code_challenge_method", "client_secret"])
    known = st.sampled_from([plugin.client_id, "authorization_code", "refresh_token", "code",
                             "https://plugin.example/callback", "S256", "read write"])
    params = st.dictionaries(names, st.one_of(VALUES, known), max_size=7)
    anonymous = Client(raise_request_exception=False, REMOTE_ADDR=loopback_address())
    signed_in = Client(raise_request_exception=False, REMOTE_ADDR=loopback_address())
    signed_in.force_login(member)

    def filled(value: str) -> dict:
        return {"grant_type": "authorization_code", "client_id": plugin.client_id,
                "redirect_uri": "https://plugin.example/callback", "response_type": "code",
                "code_challenge_method": "S256", "code": value, "refresh_token": value,
                "token": value, "code_verifier": value, "code_challenge": value,
                "state": value, "scope": value}

    corners = [{"token_form": form, "revoke_form": form, "authorize_query": form}
               for value in NASTY
               for form in (filled(value), {**filled(value), "client_id": value},
                            {**filled(value), "grant_type": "refresh_token"})]

    @fuzz(corners, token_form=params, revoke_form=params, authorize_query=params)
    def post(token_form: dict, revoke_form: dict, authorize_query: dict) -> None:
        assert_no_server_error(anonymous.post("/o/token/", token_form), f"token {token_form!r}")
        assert_no_server_error(anonymous.post("/o/revoke_token/", revoke_form),
                               f"revoke {revoke_form!r}")
        assert_no_server_error(signed_in.get("/o/authorize/", authorize_query),
                               f"authorize {authorize_query!r}")
