"""The cache (and so the DRF throttle) shares one Redis connection pool across threads."""

from __future__ import annotations

import threading

from django.core.cache import caches

from config.redis_pool import SharedConnectionPool


def _pool_of_this_thread():
    backend = caches["default"]
    backend.get("conduit:pool-probe")  # the pool is made on first use
    return backend._cache._get_connection_pool(write=True)


def test_every_thread_draws_from_one_pool():
    pools = [_pool_of_this_thread()]
    thread = threading.Thread(target=lambda: pools.append(_pool_of_this_thread()))
    thread.start()
    thread.join()

    assert caches["default"]._cache._pool_class is SharedConnectionPool
    assert pools[0] is pools[1]
    assert pools[0].max_connections == 50


def test_the_cache_reuses_one_redis_client_per_pool():
    backend = caches["default"]
    backend.set("conduit:client-probe", 1, 5)
    first = backend._cache.get_client(write=True)
    assert backend.get("conduit:client-probe") == 1
    assert backend._cache.get_client() is first
    assert first.connection_pool is backend._cache._get_connection_pool(write=True)
