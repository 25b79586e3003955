"""Browser pages of boards: `/` (the boards of my teams, a new-board form) and `/boards/<id>`.

Server-rendered shells over stored data; the board page's interactive parts (paste box, import
picker, create form, card edit dialog) are static/conduit/board*.js calling the REST API v1.
Thin views: another team's board is a 404, like in the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from approvals.models import Membership, Team
from approvals.selectors import is_team_admin
from cards import errors, services
from cards.models import Board
from cards.selectors import (
    board_get,
    cards_of_board,
    link_previews_of_board,
    memberships_of,
)
from tokens.selectors import integration_states

BOARD_NAME_MAX_LENGTH = Board._meta.get_field("name").max_length
BOARD_NAME_REQUIRED = "Give the board a name."
BOARD_NAME_TOO_LONG = f"A board name has at most {BOARD_NAME_MAX_LENGTH} characters."
BOARD_TEAM_UNKNOWN = "Choose one of your teams."
BOARD_NAME_INVALID = "A board name cannot contain a NUL character."


def _web_url(url: str) -> str:
    """The link when it is a web address (the tool supplies it), else "": never a javascript: href."""
    return url if url.lower().startswith(("https://", "http://")) else ""


@dataclass(frozen=True)
class TeamBoards:
    team: Team
    role: str
    boards: list[Board]


def _teams_with_boards(memberships: list[Membership]) -> list[TeamBoards]:
    """Each of the user's teams with its boards and their card counts (two queries)."""
    boards = (
        Board.objects.filter(team__in=[membership.team for membership in memberships])
        .annotate(card_count=Count("cards"))
        .order_by("name", "id")
    )
    by_team: dict[int, list[Board]] = {}
    for board in boards:
        by_team.setdefault(board.team_id, []).append(board)
    return [
        TeamBoards(team=membership.team, role=membership.get_role_display(),
                   boards=by_team.get(membership.team.pk, []))
        for membership in memberships
    ]


@login_required
@require_http_methods(["GET", "POST"])
def boards_page(request: HttpRequest) -> HttpResponse:
    """GET: the boards of each of my teams. POST: a new board (`name`, `team`), then its page;
    a refused form comes back with what was typed."""
    memberships = list(memberships_of(request.user))
    form = {"name": "", "team": str(memberships[0].team.pk) if memberships else "", "error": ""}
    status = 200
    if request.method == "POST":
        form["name"] = request.POST.get("name", "")
        form["team"] = request.POST.get("team", "") or form["team"]
        teams = {str(membership.team.pk): membership.team for membership in memberships}
        name = form["name"].strip()
        if form["team"] not in teams:
            form["error"] = BOARD_TEAM_UNKNOWN
        elif "\x00" in name:
            # PostgreSQL cannot store NUL in text; the page shows the rest of what was typed.
            form["error"] = BOARD_NAME_INVALID
            form["name"] = form["name"].replace("\x00", "")
        elif not name:
            form["error"] = BOARD_NAME_REQUIRED
        elif len(name) > BOARD_NAME_MAX_LENGTH:
            form["error"] = BOARD_NAME_TOO_LONG
        else:
            board = services.board_create(team=teams[form["team"]], name=name,
                                          acting_user=request.user)
            return redirect("cards:board", board_id=board.pk)
        status = 400
    return render(request, "cards/boards.html", {
        "teams": _teams_with_boards(memberships), "form": form,
        "name_max_length": BOARD_NAME_MAX_LENGTH,
    }, status=status)


@login_required
@require_GET
def board_page(request: HttpRequest, board_id: int) -> HttpResponse:
    """The board: its cards and link previews as stored, and each integration's state for me."""
    try:
        board = board_get(user=request.user, board_id=board_id)
    except errors.BoardNotFound:
        raise Http404(errors.BOARD_NOT_FOUND.format(board=board_id)) from None
    team = board.team
    here = reverse("cards:board", args=[board.pk])
    integrations = [
        {
            "state": state,
            "connect_url": f"{state.connect_url}?{urlencode({'team': team.pk, 'next': here})}",
        }
        for state in integration_states(user=request.user, team=team)
    ]
    cards = list(cards_of_board(board=board))
    for card in cards:
        card.link = _web_url(card.url)
    previews = list(link_previews_of_board(board=board))
    for preview in previews:
        preview.link = _web_url(preview.reference or "")
    return render(request, "cards/board.html", {
        "board": board,
        "team": team,
        "cards": cards,
        "previews": previews,
        "integrations": integrations,
        "usable": [item["state"] for item in integrations
                   if item["state"].available and item["state"].installed],
        "not_installed": [item["state"] for item in integrations
                          if item["state"].available and not item["state"].installed],
        "is_admin": is_team_admin(user=request.user, team=team),
        "here": here,
        "integration_names": {item["state"].key: item["state"].name for item in integrations},
    })
