"""A Redis cache that degrades to "no cache" when Redis is unreachable.

Reads answer the default (a miss), writes are dropped, `add` says it added: nothing that uses
the cache (DRF throttles, django-axes, the apps' short-lived values) turns a Redis outage into a
500. Each failure logs one warning line naming the operation, never a traceback or a key.

The client object is kept too: Django's RedisCacheClient builds a new `redis.Redis` (and its
table of ~170 response callbacks) for every command, which the throttle pays twice per request.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
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


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client over one `redis.Redis` per connection pool, built on first use (the pool
    itself is config.redis_pool's, one per process)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class DegradingRedisCache(RedisCache):
    """django's RedisCache whose operations never raise RedisError (see the module docstring)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

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
