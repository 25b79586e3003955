"""Every API v1 endpoint x every kind of caller answers the expected status.

Callers: anonymous, a member of another team, a member (connected to Asana through a real OAuth
round trip), a team admin (not connected), support staff (no team), and the member's bearer
token with only the `read` scope. Another team's objects are always "not found" (404).
"""

from __future__ import annotations

import pytest

from cards.models import Board, CardWidget
from integrations.sandbox.asana.seed import WEBSITE_PROJECT, WEBSITE_TASK_FIRST
from tests.cards.conftest import api_client, bearer_client, connect_asana, make_card

pytestmark = pytest.mark.django_db(transaction=False)

TASK_LINK = f"https://app.asana.com/0/{WEBSITE_PROJECT}/{int(WEBSITE_TASK_FIRST) + 1}"
ROLES = ("anonymous", "outsider", "member", "admin", "support", "bearer_read")

# (method, path template, body, {role: status}); {team}, {board}, {card} are filled in.
MATRIX = [
    ("get", "/api/v1/me", None,
     dict(anonymous=401, outsider=200, member=200, admin=200, support=200, bearer_read=200)),
    ("get", "/api/v1/integrations/?team={team}", None,
     dict(anonymous=401, outsider=404, member=200, admin=200, support=404, bearer_read=200)),
    ("post", "/api/v1/integrations/jira_server/install-requests/?team={team}", None,
     dict(anonymous=401, outsider=404, member=202, admin=201, support=404, bearer_read=403)),
    ("delete", "/api/v1/integrations/asana/connection?team={team}", None,
     dict(anonymous=401, outsider=404, member=204, admin=404, support=404, bearer_read=403)),
    ("get", "/api/v1/integrations/asana/picker/?team={team}", None,
     dict(anonymous=401, outsider=404, member=200, admin=409, support=404, bearer_read=200)),
    ("get", "/api/v1/boards/?team={team}", None,
     dict(anonymous=401, outsider=404, member=200, admin=200, support=404, bearer_read=200)),
    ("post", "/api/v1/boards/?team={team}", {"name": "Roadmap"},
     dict(anonymous=401, outsider=404, member=201, admin=201, support=404, bearer_read=403)),
    ("get", "/api/v1/boards/{board}/cards/", None,
     dict(anonymous=401, outsider=404, member=200, admin=200, support=404, bearer_read=200)),
    ("post", "/api/v1/boards/{board}/cards/", {"url": TASK_LINK},
     dict(anonymous=401, outsider=404, member=201, admin=409, support=404, bearer_read=403)),
    ("post", "/api/v1/boards/{board}/unfurls/", {"url": TASK_LINK},
     dict(anonymous=401, outsider=404, member=201, admin=409, support=404, bearer_read=403)),
    ("get", "/api/v1/cards/{card}", None,
     dict(anonymous=401, outsider=404, member=200, admin=200, support=404, bearer_read=200)),
    ("patch", "/api/v1/cards/{card}", {"title": "Homepage copy, second draft"},
     dict(anonymous=401, outsider=404, member=200, admin=409, support=404, bearer_read=403)),
    ("delete", "/api/v1/cards/{card}", None,
     dict(anonymous=401, outsider=404, member=204, admin=204, support=404, bearer_read=403)),
    ("get", "/api/v1/cards/{card}/details", None,
     dict(anonymous=401, outsider=404, member=200, admin=409, support=404, bearer_read=200)),
    ("post", "/api/v1/cards/{card}/jira-issue", None,
     dict(anonymous=401, outsider=404, member=400, admin=400, support=404, bearer_read=403)),
    ("get", "/api/v1/schema/", None,
     dict(anonymous=401, outsider=200, member=200, admin=200, support=200, bearer_read=200)),
]
CASES = [
    pytest.param(method, path, body, role, statuses[role], id=f"{method.upper()} {path} {role}")
    for method, path, body, statuses in MATRIX
    for role in ROLES
]


@pytest.fixture
def world(sandbox, team, member, admin, outsider, support, installed):
    board = Board.objects.create(team=team, name="Launch", created_by=member)
    card = make_card(board, WEBSITE_TASK_FIRST)
    # The outsider's own team has a board too: their access is about ids, not emptiness.
    Board.objects.create(team=outsider.memberships.get().team, name="Elsewhere")
    return {"team": team.pk, "board": board.pk, "card": card.pk}


def _client(role, *, member, admin, outsider, support):
    return {
        "anonymous": lambda: api_client(),
        "outsider": lambda: api_client(outsider),
        "member": lambda: api_client(member),
        "admin": lambda: api_client(admin),
        "support": lambda: api_client(support),
        "bearer_read": lambda: bearer_client(member, scope="read"),
    }[role]()


@pytest.mark.parametrize(("method", "path", "body", "role", "expected"), CASES)
def test_endpoint_answers_each_caller_as_expected(
    world, sandbox, team, member, admin, outsider, support, method, path, body, role, expected
):
    connect_asana(sandbox, user=member, team=team)
    client = _client(role, member=member, admin=admin, outsider=outsider, support=support)
    url = path.format(**world)
    response = getattr(client, method)(url, body, format="json") if body is not None else \
        getattr(client, method)(url)
    assert response.status_code == expected, response.content[:500]
    if expected >= 400:
        assert set(response.json()["error"]) == {"code", "message", "detail"}


def test_another_teams_card_is_untouched_by_a_refused_change(world, outsider):
    before = CardWidget.objects.get(pk=world["card"])
    response = api_client(outsider).patch(f"/api/v1/cards/{world['card']}", {"title": "Mine"},
                                          format="json")
    assert response.status_code == 404
    assert CardWidget.objects.get(pk=world["card"]).title == before.title


def test_bearer_token_with_write_scope_may_write_without_csrf(world, member):
    client = bearer_client(member, scope="read write")
    response = client.post(f"/api/v1/boards/?team={world['team']}", {"name": "Ops"},
                           format="json")
    assert response.status_code == 201
    assert response.json()["name"] == "Ops"


def test_session_write_without_csrf_token_is_refused(world, member):
    client = api_client(member)
    client.credentials()  # drops the X-CSRFToken header
    response = client.post(f"/api/v1/boards/?team={world['team']}", {"name": "Ops"},
                           format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]


def test_docs_page_needs_a_login(world, member):
    anonymous = api_client().get("/api/v1/docs/")
    assert anonymous.status_code == 302
    assert "login" in anonymous["Location"]
    assert api_client(member).get("/api/v1/docs/").status_code == 200
