"""Rows kept in each process for a few seconds, dropped everywhere when they change.

What the API's bearer check loads (config.bearer_cache) and the account a provider call uses
(tokens.selectors.account_for_call) are read on every request and change rarely. A
ProcessCache keeps them per process, and bounds how stale a kept value can be:

- A change (a save, a delete) drops the entries of the process that made it at once, and bumps
  a generation number in the shared cache (Redis), at once and again when the transaction
  commits. Every other process reads that number at most once a `check_seconds` and ignores
  what it holds when the number moved: the process that made a change sees it on the next
  call, the others within `check_seconds`. (Reading it on every call cost a Redis round trip
  per request, 2 ms each on a loaded machine.)
- An entry is used `seconds` at most (0 turns the cache off), so a bump lost while Redis was
  unreachable delays a change by that much at worst. Once a check finds Redis unreachable
  nothing is served from memory: every call loads, until a later check finds Redis again.
- Each call gets its own copy of what was kept (`copy`), so a caller's changes to it stay its
  own; at most `max_entries` are kept, least recently used first out.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from django.core.cache import cache
from django.db import transaction

_every_cache: list[ProcessCache] = []


class ProcessCache:
    def __init__(self, *, generation_key: str, seconds: Callable[[], float],
                 check_seconds: Callable[[], float], copy: Callable[[Any], Any],
                 max_entries: int = 2048) -> None:
        self.generation_key = generation_key
        self._seconds = seconds
        self._check_seconds = check_seconds
        self._copy = copy
        self.max_entries = max_entries
        self._lock = threading.Lock()
        # key -> (generation, monotonic time loaded, the value as loaded)
        self._entries: OrderedDict[Hashable, tuple[int, float, Any]] = OrderedDict()
        self._last_read: list[Any] = [None, -1e9]  # the generation read last, and when
        _every_cache.append(self)

    def get(self, key: Hashable, *, load: Callable[[], Any]) -> Any:
        """The value of `key`: a copy of the kept one while it is current, else `load()`'s
        (kept unless None)."""
        seconds = self._seconds()
        now = time.monotonic()
        generation = self._generation(now) if seconds > 0 else None
        if generation is None:
            return load()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is not None and entry[0] == generation and now - entry[1] < seconds:
            return self._copy(entry[2])
        loaded = load()
        if loaded is not None:
            with self._lock:
                self._entries[key] = (generation, now, self._copy(loaded))
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return loaded

    def update_kept(self, key: Hashable, change: Callable[[Any], None]) -> None:
        """Apply `change` to the kept value of `key`, if any (a column no reader depends on
        for its decisions, such as when the row was last used)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                change(entry[2])

    def forget(self, key: Hashable) -> None:
        """Drop this process's entry of `key` (other processes keep theirs)."""
        with self._lock:
            self._entries.pop(key, None)

    def forget_all(self) -> None:
        """Drop this process's entries and move the generation, so every process drops its own."""
        self.forget_local()
        try:
            cache.incr(self.generation_key)
        except ValueError:  # no such key (or Redis unreachable: the entries' age bounds the rest)
            cache.set(self.generation_key, secrets.randbits(48), timeout=None)

    def changed(self) -> None:
        """A kept row changed: forget_all now, and again once the change is visible to other
        connections (a process that reloaded the row between the first bump and the commit
        kept the old values under the new generation)."""
        self.forget_all()
        transaction.on_commit(self.forget_all)

    def forget_local(self) -> None:
        with self._lock:
            self._entries.clear()
            self._last_read[:] = [None, -1e9]

    def _generation(self, now: float) -> int | None:
        """The shared generation number (read again once the check interval passed), or None
        when the cache cannot say (Redis unreachable: asked again after the same interval, so
        an outage costs a Redis attempt per interval, not per call)."""
        with self._lock:
            generation, read_at = self._last_read
        if now - read_at < self._check_seconds():
            return generation
        generation = self._read_generation()
        with self._lock:
            self._last_read[:] = [generation, now]
        return generation

    def _read_generation(self) -> int | None:
        value = cache.get(self.generation_key)
        if value is None:
            # A random start: after Redis lost the key, no process's old entries match by chance.
            cache.add(self.generation_key, secrets.randbits(48), timeout=None)
            value = cache.get(self.generation_key)
        return value if type(value) is int else None


def forget_every_cache() -> None:
    """Every ProcessCache's forget_all: after a change no signal reports (a key rotation
    rewriting ciphertexts in bulk)."""
    for process_cache in _every_cache:
        process_cache.forget_all()


def forget_every_cache_locally() -> None:
    """Drop every process cache's entries in this process only (tests, between cases)."""
    for process_cache in _every_cache:
        process_cache.forget_local()
