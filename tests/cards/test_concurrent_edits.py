"""Many clients editing one card at once: whatever the interleaving, the stored card ends equal to
what Asana holds (the write to the tool and the save of the card are serialised per card).

Real PostgreSQL (one connection per thread, committed transactions) and the Asana simulator over
HTTP; the clients are threads calling the API through Django's test client.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from cards.models import CardWidget
from integrations.sandbox.asana.seed import WEBSITE_TASK_FIRST
from tests.cards.conftest import api_client, make_card

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 20
ROUNDS = 3


def _patch_concurrently(member, card: CardWidget, round_number: int,
                        headers: dict[str, str] | None = None) -> list[int]:
    """CLIENTS threads PATCH the card with distinct titles, released together by a barrier."""
    start = threading.Barrier(CLIENTS)

    def edit(number: int) -> int:
        client = api_client(member)
        try:
            start.wait(timeout=30)
            response = client.patch(f"/api/v1/cards/{card.pk}",
                                    {"title": f"Round {round_number} client {number}"},
                                    format="json", headers=headers or {})
            return response.status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return list(pool.map(edit, range(CLIENTS)))


@pytest.fixture
def card(sandbox, board):
    # Answers come back in a random order within 50 ms of the change, as over a real network.
    sandbox.fault(path_prefix=f"/api/1.0/tasks/{WEBSITE_TASK_FIRST}", method="PUT",
                  answer_jitter_ms=50)
    return make_card(board, WEBSITE_TASK_FIRST, title="Draft homepage copy")


def test_twenty_concurrent_edits_leave_the_card_equal_to_the_task(sandbox, member,
                                                                  member_account, card):
    outcomes = []
    for round_number in range(ROUNDS):
        statuses = _patch_concurrently(member, card, round_number)
        assert statuses == [200] * CLIENTS
        task = sandbox.control("task", gid=WEBSITE_TASK_FIRST)["data"]
        card.refresh_from_db()
        outcomes.append((card.title, task["name"]))
    assert [stored for stored, _ in outcomes] == [in_asana for _, in_asana in outcomes]


def test_twenty_concurrent_edits_with_one_etag_let_exactly_one_through(sandbox, member,
                                                                       member_account, card):
    etag = api_client(member).get(f"/api/v1/cards/{card.pk}")["ETag"]
    statuses = _patch_concurrently(member, card, 0, headers={"If-Match": etag})
    assert sorted(statuses) == [200] + [412] * (CLIENTS - 1)
    assert len(sandbox.requests(f"/api/1.0/tasks/{WEBSITE_TASK_FIRST}")) == 1
    card.refresh_from_db()
    assert card.title == sandbox.control("task", gid=WEBSITE_TASK_FIRST)["data"]["name"]
