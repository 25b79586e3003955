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
"""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection

# The first key of the two-key advisory lock: cards' own space, so another app's advisory locks
# on small integers never collide with a card's.
ADVISORY_NAMESPACE = zlib.crc32(b"conduit.cards.card") - 2**31
INT4_RANGE = 2**31


def _lock_directory() -> Path:
    directory = Path(settings.LOCAL_DIR) / "locks"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@contextmanager
def _advisory_lock(card_id: int) -> Iterator[None]:
    # Two cards whose ids agree modulo 2**31 share a lock: they serialise, nothing worse.
    key = card_id % INT4_RANGE
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, key])
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, key])
        except DatabaseError:
            # The connection cannot run the unlock (an aborted transaction, a lost server):
            # closing it is the other way the server releases a session lock, and the error
            # that got here, if any, is the one worth raising.
            connection.close()


@contextmanager
def _file_lock(card_id: int) -> Iterator[None]:
    # Each holder opens the file itself: flock locks belong to the open file description, so
    # two threads of one process exclude each other as two processes do.
    with open(_lock_directory() / f"card-{card_id}.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _advisory_locks_available() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def card_lock(*, card_id: int) -> Iterator[None]:
    """Hold the card's lock for the block: at most one holder per card at a time, across threads
    and processes. Blocks until the lock is free (a holder's wait is bounded by the provider
    call it makes, which the egress guard times out); not re-entrant; opens no transaction."""
    if _advisory_locks_available():
        with _advisory_lock(card_id):
            yield
    else:
        with _file_lock(card_id):
            yield
