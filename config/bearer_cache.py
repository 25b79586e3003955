"""Conduit-issued access tokens as the API's bearer check loaded them, kept in each process for a
few seconds, so a client's burst of API calls costs one token lookup instead of one per call.

RFC 7662 §4 lets a resource server cache what it learned about a token at the price of
revocation latency; here that latency is zero in the usual case and bounded otherwise:

- Every change to an access token, its application or its user (a save or a delete: revoke,
  refresh rotation, deactivation, an admin edit) drops the entries of the process that made it
  at once, and bumps a generation number in the shared cache (Redis), at once and again when the
  transaction commits. Every other process reads that number at most once a
  BEARER_TOKEN_GENERATION_CHECK_SECONDS (1) and ignores what it holds when the number moved: a
  revocation is seen by the process that made it on the next call, by the others within a
  second. (Reading it on every call cost a Redis round trip per request, 2 ms each on a loaded
  machine.)
- An entry is used BEARER_TOKEN_CACHE_SECONDS at most (10; 0 turns the cache off), so a bump
  lost while Redis was unreachable delays a revocation by that much at worst. Once a check
  finds Redis unreachable nothing is served from memory: every request reads the database.
- django-oauth-toolkit still checks expiry, scopes, audience and the application on every
  request, on the kept token; each request gets its own copies of the token, its user and its
  application. Entries are keyed by the token's SHA-256 (DOT's token_checksum), never the
  token, and at most MAX_ENTRIES are kept (least recently used first out).
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction

from config.app_settings import AppSettings

bearer_settings = AppSettings("bearer tokens", {"BEARER_TOKEN_CACHE_SECONDS": 10,
                                                "BEARER_TOKEN_GENERATION_CHECK_SECONDS": 1.0})

GENERATION_KEY = "conduit:bearer-tokens:generation"
MAX_ENTRIES = 2048

_lock = threading.Lock()
# token checksum -> (generation, monotonic time loaded, the access token as loaded)
_entries: OrderedDict[str, tuple[int, float, Any]] = OrderedDict()
_last_read: list[Any] = [None, -1e9]  # the generation read last, and when (monotonic)


def _generation(now: float) -> int | None:
    """The shared generation number (read again once the check interval passed), or None when
    the cache cannot say (Redis unreachable)."""
    with _lock:
        generation, read_at = _last_read
    if generation is not None and now - read_at < (
            bearer_settings.BEARER_TOKEN_GENERATION_CHECK_SECONDS):
        return generation
    generation = _read_generation()
    with _lock:
        _last_read[:] = [generation, now]
    return generation


def _read_generation() -> int | None:
    value = cache.get(GENERATION_KEY)
    if value is None:
        # A random start: after Redis lost the key, no process's old entries match by chance.
        cache.add(GENERATION_KEY, secrets.randbits(48), timeout=None)
        value = cache.get(GENERATION_KEY)
    return value if type(value) is int else None


def _copy(token: Any) -> Any:
    """A token whose user and application are this request's own objects."""
    if token is None:
        return None
    fresh = copy.copy(token)
    if token.user_id is not None:
        fresh.user = copy.copy(token.user)
    if token.application_id is not None:
        fresh.application = copy.copy(token.application)
    return fresh


def access_token_for(token: str, *, load: Callable[[str], Any]) -> Any:
    """The AccessToken of `token` (or None): the kept one while it is current, else `load`'s."""
    seconds = bearer_settings.BEARER_TOKEN_CACHE_SECONDS
    now = time.monotonic()
    generation = _generation(now) if seconds > 0 else None
    if generation is None:
        return load(token)
    checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
    with _lock:
        entry = _entries.get(checksum)
        if entry is not None:
            _entries.move_to_end(checksum)
    if entry is not None and entry[0] == generation and now - entry[1] < seconds:
        return _copy(entry[2])
    loaded = load(token)
    if loaded is not None:
        with _lock:
            _entries[checksum] = (generation, now, _copy(loaded))
            _entries.move_to_end(checksum)
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
    return loaded


def forget_all() -> None:
    """Drop this process's entries and move the generation, so every process drops its own."""
    with _lock:
        _entries.clear()
        _last_read[:] = [None, -1e9]
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no such key (or Redis unreachable: the entries' age bounds the rest)
        cache.set(GENERATION_KEY, secrets.randbits(48), timeout=None)


def _changed(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if created:
        return  # nothing can be kept for a row that did not exist
    forget_all()
    # Again once the change is visible to other connections: a process that reloaded the row
    # between the first bump and the commit kept the old values under the new generation.
    transaction.on_commit(forget_all)


def _token_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    if instance.is_expired():
        return  # refused anyway; `cleartokens` deleting thousands bumps nothing
    _changed(sender, instance)


def connect_invalidation() -> None:
    """Bump on every change that can alter a token's validity (called from cards.apps)."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save
    from oauth2_provider.models import get_access_token_model, get_application_model

    access_token = get_access_token_model()
    post_save.connect(_changed, sender=access_token, dispatch_uid="bearer-cache-token-saved")
    post_delete.connect(_token_deleted, sender=access_token,
                        dispatch_uid="bearer-cache-token-deleted")
    for model in (get_application_model(), get_user_model()):
        post_save.connect(_changed, sender=model, dispatch_uid=f"bearer-cache-{model.__name__}")
        post_delete.connect(_changed, sender=model,
                            dispatch_uid=f"bearer-cache-{model.__name__}-deleted")
