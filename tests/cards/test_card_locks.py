"""The per-card lock excludes a second holder of the same card until the first leaves, and
never a holder of another card: on PostgreSQL (advisory lock, one connection per thread) and
with the file lock SQLite uses (selected here on PostgreSQL by patching the backend choice, the
one thing replaced: the file lock itself is the real flock)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from cards import card_locks

pytestmark = pytest.mark.django_db(transaction=True)

HELD_SECONDS = 0.3


def _second_holder_waits(first_card: int, second_card: int) -> float:
    """Seconds the second holder waited for its lock while the first held its own."""
    first_holds = threading.Event()
    waited: list[float] = []

    def first() -> None:
        try:
            with card_locks.card_lock(card_id=first_card):
                first_holds.set()
                time.sleep(HELD_SECONDS)
        finally:
            connection.close()

    def second() -> None:
        try:
            first_holds.wait(timeout=10)
            started = time.monotonic()
            with card_locks.card_lock(card_id=second_card):
                waited.append(time.monotonic() - started)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return waited[0]


@pytest.fixture(params=["advisory", "file"])
def lock_kind(request, monkeypatch, settings, tmp_path):
    settings.LOCAL_DIR = tmp_path
    if request.param == "file":
        monkeypatch.setattr(card_locks, "_advisory_locks_available", lambda: False)
    return request.param


def test_a_second_holder_of_the_same_card_waits_for_the_first(lock_kind):
    assert _second_holder_waits(41, 41) >= HELD_SECONDS * 0.8


def test_holders_of_different_cards_do_not_wait(lock_kind):
    assert _second_holder_waits(41, 42) < HELD_SECONDS * 0.5
