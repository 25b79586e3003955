"""A second beat started by mistake does not double the scheduled work.

Two LeaderSchedulers (the class `celery beat` runs, config/beat.py) tick side by side against
this run's real Redis database with one entry due every half second; the messages they send land
in a queue of this test's own, read back from Redis.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest
import redis

from config.beat import BeatLeaderLock, LeaderScheduler
from config.celery import app

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


def test_only_one_lock_holder_and_takeover_after_release(redis_client):
    key = f"conduit:test:beat:{uuid.uuid4().hex}"
    first, second = BeatLeaderLock(redis_client, key=key), BeatLeaderLock(redis_client, key=key)
    assert first.hold() is True
    assert second.hold() is False
    assert first.hold() is True  # renewal by the holder
    first.release()
    assert second.hold() is True
    assert first.hold() is False
    second.release()


def test_two_beats_send_the_schedule_once(redis_client, tmp_path):
    queue = f"conduit-beat-test-{uuid.uuid4().hex}"
    old_broker, old_schedule = app.conf.broker_url, app.conf.beat_schedule
    app.conf.broker_url = REDIS_URL
    schedule = {"probe": {"task": "conduit.test.beat_probe", "schedule": 0.5,
                          "options": {"queue": queue}}}
    app.conf.beat_schedule = schedule  # PersistentScheduler reads its entries from here
    try:
        beats = [
            LeaderScheduler(app=app, lazy=False,
                            schedule_filename=str(tmp_path / f"beat-{index}"))
            for index in range(2)
        ]
        for beat in beats:  # the same private key for both, outside every other run's
            beat.leader_lock.key = f"conduit:test:beat:{queue}"
        deadline = time.monotonic() + 3.2
        while time.monotonic() < deadline:
            for beat in beats:
                beat.tick()
            time.sleep(0.05)
        assert [beat.leader_lock.is_leader for beat in beats].count(True) == 1
        sent = redis_client.llen(queue)
        # One beat alone sends the entry about every 0.5 s (6-7 in 3.2 s); two would send twice.
        assert 4 <= sent <= 8, sent
        for beat in beats:
            beat.close()
    finally:
        redis_client.delete(queue)
        app.conf.broker_url, app.conf.beat_schedule = old_broker, old_schedule
