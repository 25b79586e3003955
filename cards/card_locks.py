"""One lock per card, held while a change goes to the tool and the card stores the answer.

Without it, two edits of one card can reach the tool in one order and save the card in the other,
leaving the card different from the task. The lock is held across the provider call, so it must
not be a row lock inside a transaction: tokens' refresh commits rotated refresh tokens during that
call, and nested in the card's transaction it would become a savepoint, invisible to other
workers until the card commits and lost if it rolls back. So:

- PostgreSQL: a session-level advisory lock keyed by the card (`pg_advisory_lock`), no open
  transaction; the server releases it if the connection dies.
- SQLite (the local trial) and anything else: an exclusive `flock` on a file per card under
  CONDUIT_LOCAL_DIR. SQLite lives on one machine, so every process that can write the card can
  take the same file lock, and the kernel releases it if the process dies.

The holder's last write can go with the release (CardLock.update_and_release): on PostgreSQL,
outside a transaction, the UPDATE, its COMMIT and the unlock are one message to the server, run
in that order, so an edit costs one round trip for the lock and one for the store and the
release (bench P1), and the next holder still sees the stored card.
"""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.db.models import QuerySet
from django.db.models.sql import UpdateQuery

# The first key of the two-key advisory lock: cards' own space, so another app's advisory locks
# on small integers never collide with a card's.
ADVISORY_NAMESPACE = zlib.crc32(b"conduit.cards.card") - 2**31
INT4_RANGE = 2**31


def _lock_directory() -> Path:
    directory = Path(settings.LOCAL_DIR) / "locks"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


UNLOCK_SQL = "SELECT pg_advisory_unlock(%s, %s)"


class CardLock:
    """The held lock of one card (what `card_lock` yields)."""

    def __init__(self, key: int | None = None, db: Any = None) -> None:
        self.key = key  # the advisory lock's second key; None for a file lock
        self.db = db  # the connection holding the advisory lock
        self.released = False

    def update_and_release(self, rows: QuerySet, values: dict[str, Any]) -> int:
        """`rows.update(**values)` as the holder's last act; how many rows it changed. With an
        advisory lock and no open transaction, the UPDATE, its COMMIT and the unlock go to the
        server as one message (a simple query of several statements runs them in order, the
        unlock after the commit); otherwise the UPDATE alone, and the block's end unlocks."""
        db = self.db
        if self.key is None or db.in_atomic_block or _server_side_binding(db):
            return rows.update(**values)
        query = rows.query.chain(UpdateQuery)
        query.add_update_values(values)
        sql, params = query.get_compiler(connection=db).as_sql()
        with db.cursor() as cursor:
            cursor.execute(f"BEGIN; {sql}; COMMIT; {UNLOCK_SQL}",
                           [*params, ADVISORY_NAMESPACE, self.key])
            cursor.nextset()  # BEGIN's result, then the UPDATE's
            changed = cursor.rowcount
        self.released = True
        return changed


def _server_side_binding(db: Any) -> bool:
    # Server-side binding sends one statement per message: no three-statement query.
    return bool(db.settings_dict.get("OPTIONS", {}).get("server_side_binding"))


@contextmanager
def _advisory_lock(card_id: int) -> Iterator[CardLock]:
    # Two cards whose ids agree modulo 2**31 share a lock: they serialise, nothing worse.
    key = card_id % INT4_RANGE
    db = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy is a lookup
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, key])
    held = CardLock(key, db)
    try:
        yield held
    finally:
        if not held.released:
            try:
                with db.cursor() as cursor:
                    cursor.execute(UNLOCK_SQL, [ADVISORY_NAMESPACE, key])
            except DatabaseError:
                # The connection cannot run the unlock (an aborted transaction, a lost server,
                # a last UPDATE that failed after its BEGIN): closing it is the other way the
                # server releases a session lock, and the error that got here, if any, is the
                # one worth raising.
                db.close()


@contextmanager
def _file_lock(card_id: int) -> Iterator[CardLock]:
    # Each holder opens the file itself: flock locks belong to the open file description, so
    # two threads of one process exclude each other as two processes do.
    with open(_lock_directory() / f"card-{card_id}.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield CardLock()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _advisory_locks_available() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def card_lock(*, card_id: int) -> Iterator[CardLock]:
    """Hold the card's lock for the block: at most one holder per card at a time, across threads
    and processes. Blocks until the lock is free (a holder's wait is bounded by the provider
    call it makes, which the egress guard times out); not re-entrant; opens no transaction.
    Nothing of the block may run after its CardLock.update_and_release."""
    if _advisory_locks_available():
        with _advisory_lock(card_id) as held:
            yield held
    else:
        with _file_lock(card_id) as held:
            yield held
