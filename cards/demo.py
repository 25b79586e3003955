"""The trial's demo board: created once per team with the tickets the trial hands it."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from approvals.models import Team
from cards.models import Board
from cards.services import _cards_store
from integrations.providers import Ticket

DEMO_BOARD_NAME = "Demo board"


def demo_board_seed(
    *, team: Team, acting_user: AbstractBaseUser, tickets: list[Ticket]
) -> Board:
    """The team's demo board with one card per ticket. Idempotent: an existing demo board is
    returned as it is (what people did with it in an earlier run is kept)."""
    with transaction.atomic():
        board, created = Board.objects.get_or_create(
            team=team, name=DEMO_BOARD_NAME, defaults={"created_by": acting_user}
        )
        if created:
            for provider in dict.fromkeys(ticket.provider for ticket in tickets):
                _cards_store(board=board, integration=provider, acting_user=acting_user,
                             tickets=[t for t in tickets if t.provider == provider])
    return board
