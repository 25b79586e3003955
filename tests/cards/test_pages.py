"""The board pages: who sees what (team scoping), the new-board form, what a board shows from
stored data, and that the HTML has no inline script, event handler or style attribute (CSP)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from approvals.models import InstallRequest
from cards import views
from cards.models import Board, LinkPreview
from tests.cards.conftest import make_card
from tests.factories import make_member

pytestmark = pytest.mark.django_db


class InlineCodeFinder(HTMLParser):
    """Records every <script> that would run inline, every on* handler and style attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts.append(values)
            if not values.get("src") and values.get("type") != "application/json":
                self.problems.append(f"inline <script> {values}")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}>")
            if name == "href" and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} href={value!r}>")


def inline_code(html: str) -> InlineCodeFinder:
    finder = InlineCodeFinder()
    finder.feed(html)
    return finder


def page(client, user, path: str):
    client.force_login(user)
    return client.get(path)


# -- access and scoping ------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/boards/1"])
def test_anonymous_visitor_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")


def test_boards_list_shows_my_teams_boards_only(client, team, member, board, other_team):
    Board.objects.create(team=other_team, name="Their secret roadmap")
    make_card(board)
    response = page(client, member, "/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Launch" in html
    assert f'href="/boards/{board.pk}"' in html
    assert "1 card" in html
    assert "Their secret roadmap" not in html


def test_board_of_another_team_is_not_found(client, board, outsider):
    assert page(client, outsider, f"/boards/{board.pk}").status_code == 404


def test_unknown_board_is_not_found(client, member):
    assert page(client, member, "/boards/999999999").status_code == 404


def test_support_staff_without_a_team_see_no_boards(client, support, board):
    response = page(client, support, "/")
    assert response.status_code == 200
    assert "not a member of any team" in response.content.decode()
    assert client.get(f"/boards/{board.pk}").status_code == 404


# -- the new-board form ------------------------------------------------------------------------

def test_new_board_form_creates_the_board_and_opens_it(client, team, member):
    client.force_login(member)
    response = client.post("/", {"name": "  Q3 launch ", "team": team.pk})
    board = Board.objects.get(team=team)
    assert board.name == "Q3 launch"
    assert board.created_by == member
    assert response.status_code == 302
    assert response["Location"] == f"/boards/{board.pk}"


def test_new_board_without_a_name_is_refused_with_the_form_kept(client, team, member):
    client.force_login(member)
    response = client.post("/", {"name": "   ", "team": team.pk})
    assert response.status_code == 400
    assert views.BOARD_NAME_REQUIRED in response.content.decode()
    assert not Board.objects.exists()


def test_new_board_name_too_long_is_refused_and_what_was_typed_stays(client, team, member):
    client.force_login(member)
    typed = "x" * 201
    response = client.post("/", {"name": typed, "team": team.pk})
    assert response.status_code == 400
    html = response.content.decode()
    assert views.BOARD_NAME_TOO_LONG in html
    assert f'value="{typed}"' in html
    assert not Board.objects.exists()


def test_new_board_in_another_team_is_refused(client, member, other_team):
    client.force_login(member)
    response = client.post("/", {"name": "Sneaky", "team": other_team.pk})
    assert response.status_code == 400
    assert views.BOARD_TEAM_UNKNOWN in response.content.decode()
    assert not Board.objects.exists()


def test_new_board_form_needs_the_csrf_token(team, member):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post("/", {"name": "No token", "team": team.pk}).status_code == 403
    assert not Board.objects.exists()


# -- what a board shows ------------------------------------------------------------------------

def test_board_shows_stored_cards_with_their_fields(client, member, board):
    make_card(board, "1100000000100001", title="Write the launch post", status="open · Doing",
              priority="High", assignee_name="Ada Lovelace")
    make_card(board, "1100000000100002", title="Book the venue", sync_error="Asana refused")
    html = page(client, member, f"/boards/{board.pk}").content.decode()
    for text in ("Write the launch post", "open · Doing", "High", "Ada Lovelace",
                 "Book the venue", "Not synced", "Asana refused",
                 'href="https://app.asana.com/0/0/1100000000100001"'):
        assert text in html
    assert html.count('data-testid="card-title"') == 2


def test_board_shows_its_link_previews(client, member, board):
    LinkPreview.objects.create(board=board, provider="asana", title="Design review",
                               reference="https://app.asana.com/0/1/2", created_by=member)
    html = page(client, member, f"/boards/{board.pk}").content.decode()
    assert "Design review" in html
    assert 'href="https://app.asana.com/0/1/2"' in html


def test_card_link_that_is_not_a_web_address_is_not_a_link(client, member, board):
    make_card(board, url="javascript:alert(1)")
    html = page(client, member, f"/boards/{board.pk}").content.decode()
    assert "javascript:" not in html


def test_member_without_a_connection_is_offered_to_connect_back_to_the_board(
    client, member, board, installed
):
    html = page(client, member, f"/boards/{board.pk}").content.decode()
    assert (f'href="/integrations/asana/connect?team={board.team.pk}&amp;next=%2Fboards%2F'
            f'{board.pk}"') in html


def test_member_can_request_an_install_from_the_board(client, member, board):
    html = page(client, member, f"/boards/{board.pk}").content.decode()
    assert 'action="/integrations/asana/request-install"' in html
    assert f'name="next" value="/boards/{board.pk}"' in html


def test_pending_install_request_is_shown_instead_of_the_button(client, team, member, board):
    InstallRequest.objects.create(team=team, integration="asana",
                                  requested_by=member)
    html = page(client, member, f"/boards/{board.pk}").content.decode()
    assert "Install request sent to your admins" in html
    assert 'data-testid="request-install-asana"' not in html


def test_a_second_member_sees_the_same_board(client, team, board):
    make_card(board, title="Shared card")
    colleague = make_member(team)
    assert "Shared card" in page(client, colleague, f"/boards/{board.pk}").content.decode()


# -- no inline code (CSP: script-src 'self', style-src 'self') ---------------------------------

def test_boards_list_has_no_inline_script_handler_or_style(client, member, board):
    response = page(client, member, "/")
    assert inline_code(response.content.decode()).problems == []


def test_board_page_has_no_inline_script_handler_or_style(client, member, board, installed):
    make_card(board, sync_error="Asana refused")
    LinkPreview.objects.create(board=board, provider="asana", title="Preview",
                               reference="https://app.asana.com/0/1/2", created_by=member)
    response = page(client, member, f"/boards/{board.pk}")
    finder = inline_code(response.content.decode())
    assert finder.problems == []
    assert {"type": "module", "src": "/static/conduit/board.js"} in finder.scripts
    assert {"id": "integration-names", "type": "application/json"} in finder.scripts


def test_board_page_carries_the_csrf_token_its_api_writes_send(client, member, board):
    # The CSRF cookie is HttpOnly: board.api.js reads the token from this input.
    html = page(client, member, f"/boards/{board.pk}").content.decode()
    assert 'name="csrfmiddlewaretoken"' in html


def test_board_page_is_served_under_the_strict_csp(client, member, board):
    policy = page(client, member, f"/boards/{board.pk}")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
