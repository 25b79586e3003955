"""One Redis connection pool per process and URL, shared by every thread's cache object.

Django builds a RedisCache (and so a connection pool) per thread, and the DRF throttle reads
and writes through it on every API request; with this `pool_class` every thread of a process
draws from one bounded pool (REDIS_POOL_MAX_CONNECTIONS), opened once, and a forked child
(a gunicorn or Celery worker) builds its own instead of sharing its parent's sockets.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import redis

_lock = threading.Lock()
_pools: dict[tuple[int, str], redis.ConnectionPool] = {}


class SharedConnectionPool(redis.ConnectionPool):
    """A ConnectionPool whose `from_url` answers the process's pool for that URL."""

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> redis.ConnectionPool:  # type: ignore[override]
        key = (os.getpid(), url)
        pool = _pools.get(key)
        if pool is None:
            with _lock:
                pool = _pools.get(key)
                if pool is None:
                    pool = redis.ConnectionPool.from_url(url, **kwargs)
                    _pools[key] = pool
        return pool
