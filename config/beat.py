"""Celery beat with a leader lock in Redis: a second beat started by mistake sends nothing.

Every beat process tries to hold one Redis key (`SET NX PX`); only the holder sends the
schedule's tasks, the others wait and take over within `LEADER_TTL_SECONDS` when the holder
stops or dies. The lock is renewed on every tick, and a tick is at most `beat_max_interval`
apart (config/settings.py keeps that well below the lock's lifetime).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket

import redis
from celery.beat import PersistentScheduler

logger = logging.getLogger(__name__)

LEADER_KEY = "conduit:beat:leader"
LEADER_TTL_SECONDS = 30
FOLLOWER_WAIT_SECONDS = 5.0

# Renew only while the key is still this process's own (a check and an expiry in one step).
RENEW_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class BeatLeaderLock:
    """The leader lock of one beat process; `hold()` says whether this process may send."""

    def __init__(self, client: redis.Redis, *, key: str = LEADER_KEY,
                 ttl_seconds: int = LEADER_TTL_SECONDS) -> None:
        self.client = client
        self.key = key
        self.ttl_ms = ttl_seconds * 1000
        self.token = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"
        self.is_leader = False

    def hold(self) -> bool:
        """Take or renew the lock; False (never an exception) when Redis cannot be reached."""
        try:
            held = bool(self.client.eval(RENEW_SCRIPT, 1, self.key, self.token, self.ttl_ms))
            if not held:
                held = bool(self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))
        except redis.RedisError as error:
            logger.warning("beat: Redis unreachable for the leader lock (%s); sending nothing",
                           type(error).__name__)
            held = False
        if held != self.is_leader:
            logger.info("beat: %s", "this beat sends the schedule" if held
                        else "another beat holds the leader lock; standing by")
        self.is_leader = held
        return held

    def release(self) -> None:
        try:
            self.client.eval(RELEASE_SCRIPT, 1, self.key, self.token)
        except redis.RedisError:
            pass  # the key expires on its own
        self.is_leader = False


class LeaderScheduler(PersistentScheduler):
    """PersistentScheduler that sends due tasks only while it holds the leader lock."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.leader_lock = BeatLeaderLock(redis.Redis.from_url(
            self.app.conf.broker_url, socket_connect_timeout=2, socket_timeout=2
        ))

    def tick(self, *args, **kwargs) -> float:
        if not self.leader_lock.hold():
            return FOLLOWER_WAIT_SECONDS
        return min(super().tick(*args, **kwargs), float(LEADER_TTL_SECONDS) / 3)

    def close(self) -> None:
        self.leader_lock.release()
        super().close()
