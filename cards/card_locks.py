"""One lock per card, held while a change goes to the tool and the card stores the answer.

Without it, two edits of one card can reach the tool in one order and save the card in the other,
leaving the card different from the task. The lock is held across the provider call, so it must
not be a row lock inside a transaction: tokens' refresh commits rotated refresh tokens during that
call, and nested in the card's transaction it would become a savepoint, invisible to other
workers until the card commits and lost if it rolls back. So:

- PostgreSQL: a session-level advisory lock keyed by the card (`pg_advisory_lock`), no open
  transaction; the server releases it if the connection dies.
  The card's write and the unlock go to the server in one round trip (`CardLock.write_and_release`,
  a psycopg pipeline): the write, a Sync that commits it, then the unlock, so no other holder
  can take the lock before the write is visible.
  A read the block needs first (the user's account) can share the lock's round trip
  (`read_first`).
- SQLite (the local trial) and anything else: an exclusive `flock` on a file per card under
  CONDUIT_LOCAL_DIR. SQLite lives on one machine, so every process that can write the card can
  take the same file lock, and the kernel releases it if the process dies.
"""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import QuerySet
from django.db.models.sql.subqueries import UpdateQuery

# The first key of the two-key advisory lock: cards' own space, so another app's advisory locks
# on small integers never collide with a card's.
ADVISORY_NAMESPACE = zlib.crc32(b"conduit.cards.card") - 2**31
INT4_RANGE = 2**31


def _lock_directory() -> Path:
    directory = Path(settings.LOCAL_DIR) / "locks"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


LOCK = "SELECT pg_advisory_lock(%s, %s)"
UNLOCK = "SELECT pg_advisory_unlock(%s, %s)"


class CardLock:
    """A held card lock. `write_and_release` runs the card's last write and ends the lock with
    it; the lock's block still releases it on the way out when that was not called (or failed)."""

    def __init__(self, key: int | None) -> None:
        self.key = key  # the advisory lock's second key; None for the file lock
        self.released = False
        self.first: Any = None  # what card_lock's read_first returned

    def update_and_release(self, queryset: QuerySet, values: dict[str, Any]) -> int:
        """`queryset.update(**values)` as the lock's last statement; the rows it updated."""
        # QuerySet.update's own compilation, so field preparation is Django's, not a copy.
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values(values)
        sql, params = query.get_compiler(queryset.db).as_sql()
        return self.write_and_release(sql, params)

    def write_and_release(self, sql: str, params: Sequence[Any]) -> int:
        """Run one write statement; its row count. Under an advisory lock the write, its commit
        and the unlock are sent together (one round trip instead of two); the unlock comes after
        the Sync that commits the write (autocommit), so the next holder sees the write."""
        if self.key is None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.rowcount
        with connection.cursor() as write, connection.cursor() as unlock:
            with connection.wrap_database_errors, connection.connection.pipeline() as pipeline:
                write.execute(sql, params)
                pipeline.sync()
                unlock.execute(UNLOCK, [ADVISORY_NAMESPACE, self.key])
            self.released = True
            return write.rowcount


@contextmanager
def _advisory_lock(card_id: int, read_first: Callable[[], Any] | None) -> Iterator[CardLock]:
    # Two cards whose ids agree modulo 2**31 share a lock: they serialise, nothing worse.
    key = card_id % INT4_RANGE
    held = CardLock(key)
    try:
        with connection.cursor() as cursor:
            if read_first is None:
                cursor.execute(LOCK, [ADVISORY_NAMESPACE, key])
            else:
                # The lock is queued, not waited for: the read's own fetch brings both answers
                # (one round trip), and the server runs the read once the lock is held.
                with connection.wrap_database_errors, connection.connection.pipeline():
                    cursor.execute(LOCK, [ADVISORY_NAMESPACE, key])
                    held.first = read_first()
        yield held
    finally:
        try:
            if not held.released:
                with connection.cursor() as cursor:
                    cursor.execute(UNLOCK, [ADVISORY_NAMESPACE, key])
        except DatabaseError:
            # The connection cannot run the unlock (an aborted transaction, a lost server):
            # closing it is the other way the server releases a session lock, and the error
            # that got here, if any, is the one worth raising.
            connection.close()


@contextmanager
def _file_lock(card_id: int, read_first: Callable[[], Any] | None) -> Iterator[CardLock]:
    # Each holder opens the file itself: flock locks belong to the open file description, so
    # two threads of one process exclude each other as two processes do.
    with open(_lock_directory() / f"card-{card_id}.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            held = CardLock(None)
            if read_first is not None:
                held.first = read_first()
            yield held
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _advisory_locks_available() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def card_lock(*, card_id: int, read_first: Callable[[], Any] | None = None
              ) -> Iterator[CardLock]:
    """Hold the card's lock for the block: at most one holder per card at a time, across threads
    and processes. Blocks until the lock is free (a holder's wait is bounded by the provider
    call it makes, which the egress guard times out); not re-entrant; opens no transaction.

    `read_first`, one plain-cursor read (execute then fetch: no ORM queryset, which reads its
    columns before fetching), runs as soon as the lock is held, its result in `CardLock.first`;
    on PostgreSQL it shares the lock's round trip. If it raises, the lock is released and its
    error raised. The block may end the lock early with its last write
    (`CardLock.update_and_release`)."""
    if _advisory_locks_available():
        with _advisory_lock(card_id, read_first) as held:
            yield held
    else:
        with _file_lock(card_id, read_first) as held:
            yield held
