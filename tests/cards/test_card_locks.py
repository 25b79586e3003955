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


# -- the holder's last UPDATE sent with the release --------------------------------------------


def _free_elsewhere(card_id: int) -> bool:
    """Whether another connection can take the card's advisory lock right now (and gives it
    back)."""
    import psycopg

    settings_dict = connection.settings_dict
    with psycopg.connect(host=settings_dict["HOST"], port=settings_dict["PORT"] or 5432,
                         user=settings_dict["USER"], dbname=settings_dict["NAME"],
                         autocommit=True) as other:
        key = card_id % card_locks.INT4_RANGE
        taken = other.execute("SELECT pg_try_advisory_lock(%s, %s)",
                              [card_locks.ADVISORY_NAMESPACE, key]).fetchone()[0]
        if taken:
            other.execute(card_locks.UNLOCK_SQL, [card_locks.ADVISORY_NAMESPACE, key])
        return taken


def _statements(block) -> list[str]:
    sent: list[str] = []

    def wrapper(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        block()
    return sent


def test_the_last_update_commits_and_releases_in_one_statement(board):
    from cards.models import CardWidget
    from tests.cards.conftest import make_card

    card = make_card(board, title="Before")

    def edit() -> None:
        with card_locks.card_lock(card_id=card.pk) as held:
            assert not _free_elsewhere(card.pk)
            changed = held.update_and_release(CardWidget.objects.filter(pk=card.pk),
                                              {"title": "After"})
            assert changed == 1
            # Released and committed before the block ends: another holder sees the new title.
            assert _free_elsewhere(card.pk)

    sent = _statements(edit)
    assert len(sent) == 2  # the lock; the UPDATE, its COMMIT and the unlock
    assert CardWidget.objects.get(pk=card.pk).title == "After"


def test_a_last_update_that_fails_still_releases_the_lock(board):
    from django.db import DataError

    from cards.models import CardWidget
    from tests.cards.conftest import make_card

    card = make_card(board, title="Before")
    with pytest.raises(DataError):
        with card_locks.card_lock(card_id=card.pk) as held:
            held.update_and_release(CardWidget.objects.filter(pk=card.pk),
                                    {"title": "x" * 10_000})  # longer than the column
    assert _free_elsewhere(card.pk)
    assert CardWidget.objects.get(pk=card.pk).title == "Before"


def test_inside_a_transaction_the_last_update_is_a_plain_update(board):
    from django.db import transaction

    from cards.models import CardWidget
    from tests.cards.conftest import make_card

    card = make_card(board, title="Before")
    with transaction.atomic():
        with card_locks.card_lock(card_id=card.pk) as held:
            held.update_and_release(CardWidget.objects.filter(pk=card.pk), {"title": "After"})
            assert not _free_elsewhere(card.pk)  # the block's end unlocks
        assert _free_elsewhere(card.pk)
    assert CardWidget.objects.get(pk=card.pk).title == "After"
