"""Bad bodies on the API's JSON write endpoints answer 400 in the error envelope, never 500:
deeply nested JSON (the standard decoder raised RecursionError) and NUL bytes in names."""

from __future__ import annotations

import pytest

from cards.models import Board
from config.inputs import JSON_MAX_DEPTH, JSON_TOO_DEEP
from tests.cards.conftest import api_client, make_card

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000


def write_endpoints(board, card) -> list[tuple[str, str]]:
    return [
        ("post", f"/api/v1/boards/?team={board.team_id}"),
        ("post", f"/api/v1/boards/{board.pk}/cards/"),
        ("post", f"/api/v1/boards/{board.pk}/unfurls/"),
        ("patch", f"/api/v1/cards/{card.pk}"),
        ("post", f"/api/v1/cards/{card.pk}/jira-issue"),
        ("post", f"/api/v1/cards/{card.pk}/linked-tickets/jira_server"),
    ]


def send(client, method: str, path: str, body: str):
    return getattr(client, method)(path, body, content_type="application/json")


@pytest.mark.parametrize("index", range(6))
def test_deeply_nested_json_is_a_400_envelope_on_every_write_endpoint(member, board, index):
    method, path = write_endpoints(board, make_card(board))[index]
    response = send(api_client(member), method, path, DEEP)
    assert response.status_code == 400, (path, response.status_code)
    assert response.json()["error"]["message"] == JSON_TOO_DEEP


def test_json_just_past_the_depth_limit_is_refused_and_within_it_accepted(member, board):
    client = api_client(member)
    too_deep = '{"name": "x", "extra": ' + "[" * JSON_MAX_DEPTH + "]" * JSON_MAX_DEPTH + "}"
    refused = send(client, "post", f"/api/v1/boards/?team={board.team_id}", too_deep)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "parse_error"
    within = '{"name": "Nested", "extra": ' + "[" * 8 + "]" * 8 + "}"
    created = send(client, "post", f"/api/v1/boards/?team={board.team_id}", within)
    assert created.status_code == 201


@pytest.mark.parametrize("name", ["a\x00b", "\x00"])
def test_a_nul_byte_in_a_board_name_is_a_validation_error(member, board, name):
    response = api_client(member).post(f"/api/v1/boards/?team={board.team_id}", {"name": name},
                                       format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert not Board.objects.filter(name__contains="b", team=board.team).exclude(pk=board.pk)


@pytest.mark.parametrize("team_id", ["²", "١", "9" * 40, "9" * 5000, "-1", "0x1"])
def test_a_team_that_is_no_ascii_id_is_a_404_envelope(member, team_id):
    response = api_client(member).get("/api/v1/boards/", {"team": team_id})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "team_not_found"


@pytest.mark.parametrize("path", ["/api/v1/boards/%0A/cards/", "/api/v1/cards/1%0A2",
                                  "/api/v1/no%0Asuch"])
def test_a_path_with_a_line_break_is_a_404_envelope_not_the_html_page(member, path):
    response = api_client(member).post(path, {}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"
