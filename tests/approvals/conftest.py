"""Fixtures of the approvals tests: the Asana sandbox, clean per test, as the tokens tests use
it (uninstalling revokes real accounts there)."""

from tests.tokens.lifecycle_fixtures import asana  # noqa: F401 - a fixture
