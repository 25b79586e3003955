"""The API's rate limits: DRF's scopes, rates and answers, counted in Redis in one atomic step.

DRF's SimpleRateThrottle reads a client's whole list of request times from the cache and writes
it back on every request: two round trips, a pickled list as long as the rate allows (1,200
floats at 1200/minute), and two concurrent requests of one client each write back a list without
the other's entry, so more than the rate gets through. Here a client has one counter per fixed
window, and the limit applies to a sliding window estimated from the current and the previous
counters (the previous one weighted by how much of it the sliding window still covers). One Lua
script checks and counts: one round trip of a few bytes, and never more than the rate under
concurrency. A refused request is not counted, as in DRF.

With another cache than Redis (the local trial's in-memory one) DRF's own counting runs; while
Redis is unreachable requests go through (the cache degrades the same way), with a warning line.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError
from rest_framework import throttling

logger = logging.getLogger(__name__)

# KEYS: this window's counter, the previous window's. ARGV: the previous window's weight, the
# limit, the counters' lifetime. Answers {allowed, this window's count, the previous one's}.
COUNT_SCRIPT = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if previous * tonumber(ARGV[1]) + current + 1 > tonumber(ARGV[2]) then
  return {0, current, previous}
end
current = redis.call('INCR', KEYS[1])
if current == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return {1, current, previous}
"""

_script: list[Any] = []  # the registered script (its SHA), run on each thread's client


class SlidingWindowCounterMixin:
    """For a DRF SimpleRateThrottle subclass: allow_request and wait over Redis counters."""

    cache_alias = DEFAULT_CACHE_ALIAS

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        backend = caches[self.cache_alias]
        if not isinstance(backend, RedisCache):
            return super().allow_request(request, view)  # type: ignore[misc]
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window, self.offset = divmod(self.now, self.duration)
        self.weight = 1 - self.offset / self.duration
        keys = [backend.make_and_validate_key(f"{self.key}:{int(window) - shift}")
                for shift in (0, 1)]
        try:
            client = backend._cache.get_client(write=True)
            if not _script:
                _script.append(client.register_script(COUNT_SCRIPT))
            allowed, self.current, self.previous = _script[0](
                keys=keys, args=[repr(self.weight), self.num_requests, 2 * self.duration],
                client=client)
        except RedisError as error:
            logger.warning("throttle skipped: Redis unreachable (%s)", type(error).__name__)
            return True
        return bool(allowed)

    def wait(self) -> float | None:
        """Seconds until the sliding window lets one more request through (Retry-After)."""
        if not hasattr(self, "current"):
            return super().wait()  # type: ignore[misc]
        limit, current, previous = self.num_requests, self.current, self.previous
        left_in_window = self.duration - self.offset
        if current + 1 <= limit:
            # Refused for the previous window's share, which shrinks as time passes.
            needed = self.duration * (previous - (limit - current - 1)) / previous - self.offset
            return max(min(needed, left_in_window), 1.0)
        if limit < 1:
            return None
        # This window is full: it becomes the previous one, and must weigh little enough.
        return max(left_in_window + self.duration * (current - (limit - 1)) / current, 1.0)


class AnonRateThrottle(SlidingWindowCounterMixin, throttling.AnonRateThrottle):
    """DRF's anonymous rate (per client address), counted in Redis."""


class UserRateThrottle(SlidingWindowCounterMixin, throttling.UserRateThrottle):
    """DRF's user rate (per user, else per address), counted in Redis."""
