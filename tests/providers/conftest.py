"""Fixtures of the Tracker provider tests: its HTTP simulator (once per session) and the
settings override that offers Tracker (team, member and admin: tests/fixtures/people.py)."""

import pytest

from tests.providers.tracker.simulator import CLIENT_ID, CLIENT_SECRET, TrackerSimulator


@pytest.fixture(scope="session")
def tracker_simulator():
    simulator = TrackerSimulator().start()
    yield simulator
    simulator.stop()


@pytest.fixture
def tracker(tracker_simulator, settings):
    """The one change that offers Tracker: its package in CONDUIT_PROVIDERS (and its own
    settings pointing at the simulator, with loopback egress as in the trial)."""
    tracker_simulator.reset()
    settings.CONDUIT_PROVIDERS = [*settings.CONDUIT_PROVIDERS, "tests.providers.tracker"]
    settings.TRACKER_URL = tracker_simulator.url
    settings.TRACKER_CLIENT_ID = CLIENT_ID
    settings.TRACKER_CLIENT_SECRET = CLIENT_SECRET
    settings.EGRESS_ALLOW_LOOPBACK = True
    return tracker_simulator
