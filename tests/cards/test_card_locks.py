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


def _holder_after_release_sees(card_id: int, *, title: str) -> tuple[str, int, bool]:
    """The title a second holder reads as soon as it gets the lock, while the first ends its
    lock with its write of `title`; the first's row count and whether its lock still held."""
    from cards.models import CardWidget

    first_holds = threading.Event()
    seen: list[str] = []
    written: list[int] = []

    def first() -> None:
        try:
            with card_locks.card_lock(card_id=card_id) as lock:
                first_holds.set()
                time.sleep(HELD_SECONDS)  # the second holder is waiting by now
                written.append(lock.update_and_release(
                    CardWidget.objects.filter(pk=card_id), {"title": title}))
                time.sleep(HELD_SECONDS)  # still inside the block: the lock is already free
        finally:
            connection.close()

    def second() -> None:
        try:
            first_holds.wait(timeout=10)
            with card_locks.card_lock(card_id=card_id):
                seen.append(CardWidget.objects.get(pk=card_id).title)
                seen.append(str(time.monotonic()))
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    took_lock_inside_block = float(seen[1]) - started < HELD_SECONDS * 1.8
    return seen[0], written[0], took_lock_inside_block


def test_a_write_that_ends_the_lock_is_seen_by_the_next_holder(lock_kind, board):
    from tests.cards.conftest import make_card

    card = make_card(board, title="Before")

    title, rows, lock_freed_by_the_write = _holder_after_release_sees(card.pk, title="After")

    assert (title, rows) == ("After", 1)
    # The advisory lock ends with the write itself; the file lock at the end of its block.
    assert lock_freed_by_the_write is (lock_kind == "advisory")


def test_a_write_of_a_deleted_card_counts_no_row_and_releases_the_lock(lock_kind):
    from cards.models import CardWidget

    with card_locks.card_lock(card_id=999_999) as lock:
        assert lock.update_and_release(CardWidget.objects.filter(pk=999_999), {"title": "x"}) == 0
    assert _second_holder_waits(999_999, 999_999) < HELD_SECONDS * 1.8


def _plain_read() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 41 + 1")
        return cursor.fetchone()[0]


def test_a_read_first_comes_with_the_lock_and_its_error_releases_it(lock_kind):
    with card_locks.card_lock(card_id=43, read_first=_plain_read) as lock:
        assert lock.first == 42

    def refused() -> None:
        raise LookupError("not connected")

    with pytest.raises(LookupError), card_locks.card_lock(card_id=43, read_first=refused):
        pass
    # Neither left the lock held: another connection takes it at once.
    assert _second_holder_waits(44, 43) < HELD_SECONDS * 0.5
