"""The API against its own OpenAPI schema: schemathesis generates requests for every operation
(a fixed budget, derandomized) as a connected member with a read/write bearer token; no answer
may be a 5xx or break the schema (status, content type, body, headers)."""

from __future__ import annotations

import json
import secrets

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from approvals.models import Membership
from cards.models import Board
from integrations.sandbox.asana.seed import WEBSITE_TASK_FIRST
from tests.cards.conftest import bearer_client, connect_asana, make_card
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def api_schema():
    """The document /api/v1/schema/ serves, generated in-process (the endpoint itself needs
    authentication, and schemathesis' lazy fixture loader does not run under pytest 9)."""
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(json.loads(json.dumps(document, default=str)))


@pytest.fixture
def member_token(sandbox, team, installed):
    """A connected member whose id is unlikely to be another test run's (DRF's user throttle
    counts per id in the shared Redis), with a read/write bearer token."""
    user = get_user_model().objects.create_user(
        id=secrets.randbelow(10**9) + 10**9, username=f"fuzz{secrets.token_hex(4)}",
        password=PASSWORD,
    )
    Membership.objects.create(user=user, team=team, role=Membership.Role.MEMBER)
    connect_asana(sandbox, user=user, team=team)
    board = Board.objects.create(team=team, name="Fuzzed", created_by=user)
    make_card(board, WEBSITE_TASK_FIRST)
    client = bearer_client(user, scope="read write")
    return client._credentials["HTTP_AUTHORIZATION"]


@pytest.fixture
def connection_kept_across_requests():
    """The WSGI app closes the database connection after each request, which would end the
    test's transaction; Django's test client disconnects the same receivers."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = api_schema()


@schema.parametrize()
@settings(max_examples=20, derandomize=True, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_api_answers_within_its_schema_and_never_with_a_server_error(
    case, member_token, connection_kept_across_requests
):
    from config.wsgi import application

    case.call_and_validate(app=application, headers={"Authorization": member_token},
                           checks=CHECKS)
