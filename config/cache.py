"""A Redis cache that degrades to "no cache" when Redis is unreachable.

Reads answer the default (a miss), writes are dropped, `add` says it added: nothing that uses
the cache (DRF throttles, django-axes, the apps' short-lived values) turns a Redis outage into a
500. Each failure logs one warning line naming the operation, never a traceback or a key.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What each operation answers while Redis is down.
FALLBACKS: dict[str, Any] = {
    "get": None, "set": None, "add": True, "touch": False, "delete": False,
    "get_many": {}, "has_key": False, "set_many": [], "delete_many": None, "clear": None,
    "incr": None,
}


def _degrading(name: str):
    original = getattr(RedisCache, name)

    @functools.wraps(original)
    def method(self: RedisCache, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        except RedisError as error:
            logger.warning("cache %s skipped: Redis unreachable (%s)", name, type(error).__name__)
            if name == "get":
                return kwargs.get("default", args[1] if len(args) > 1 else None)
            if name == "incr":
                raise ValueError("cache unavailable") from error  # what a missing key raises
            if name == "set_many":
                return list(args[0]) if args else []
            return FALLBACKS[name]

    return method


class DegradingRedisCache(RedisCache):
    """django's RedisCache whose operations never raise RedisError (see the module docstring)."""

    get = _degrading("get")
    set = _degrading("set")
    add = _degrading("add")
    touch = _degrading("touch")
    delete = _degrading("delete")
    get_many = _degrading("get_many")
    has_key = _degrading("has_key")
    set_many = _degrading("set_many")
    delete_many = _degrading("delete_many")
    clear = _degrading("clear")
    incr = _degrading("incr")
