"""The Asana connector's tests talk to the session's Asana simulator over real HTTP."""

from __future__ import annotations

import pytest

from tests.fixtures.asana import asana_settings_point_at


@pytest.fixture(autouse=True)
def asana_settings(settings, asana_sandbox):
    """Point the connector at the simulator; loopback egress on, as in the trial."""
    asana_settings_point_at(settings, asana_sandbox)
    return settings


@pytest.fixture
def sandbox(asana_sandbox):
    """The simulator, with no fault and an empty request log; faults never leak to the next test."""
    asana_sandbox.clear_faults()
    asana_sandbox.clear_requests()
    yield asana_sandbox
    asana_sandbox.clear_faults()


@pytest.fixture(scope="session")
def least_privilege_token(asana_sandbox) -> str:
    """Ada's access token with exactly the scopes Conduit asks for."""
    from integrations.asana.oauth import SCOPES
    from integrations.sandbox.asana.seed import ADA

    return asana_sandbox.control("issue_token", user=ADA, scope=" ".join(SCOPES))["access_token"]


@pytest.fixture(scope="session")
def grace_token(asana_sandbox) -> str:
    """Grace cannot see the confidential project nor Ada's personal task."""
    from integrations.asana.oauth import SCOPES
    from integrations.sandbox.asana.seed import GRACE

    return asana_sandbox.control("issue_token", user=GRACE, scope=" ".join(SCOPES))["access_token"]


@pytest.fixture
def restore_seed(asana_sandbox):
    """For tests that write: the simulator's seed is back for the next test."""
    yield
    asana_sandbox.reset()
