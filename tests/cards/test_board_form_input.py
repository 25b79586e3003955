"""The new-board form refuses names PostgreSQL cannot store (a NUL byte answered 500) with a
form error, and keeps the rest of what was typed."""

from __future__ import annotations

import pytest
from django.test import Client

from cards import views
from cards.models import Board

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["Q3\x00launch", "\x00", "  \x00  "])
def test_a_nul_byte_in_a_board_name_is_a_form_error(team, member, name):
    client = Client(raise_request_exception=False)
    client.force_login(member)
    response = client.post("/", {"name": name, "team": team.pk})
    assert response.status_code == 400, response.status_code
    assert views.BOARD_NAME_INVALID in response.content.decode()
    assert "\x00" not in response.content.decode()
    assert not Board.objects.exists()
