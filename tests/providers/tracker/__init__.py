"""Tracker: a complete provider that exists only for the tests (issue 11's acceptance).

Enabled by adding "tests.providers.tracker" to CONDUIT_PROVIDERS and pointing TRACKER_URL at
its simulator (simulator.py); no file outside this package is edited to offer it.
"""
