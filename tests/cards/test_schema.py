"""The API against its own OpenAPI schema: schemathesis generates requests for every operation
(a fixed budget, derandomized) as a connected member with a read/write bearer token; no answer
may be a 5xx or break the schema (status, content type, body, headers).

A second, stateful pass follows OpenAPI links added here (the board a create or a list
returned → its cards, import and unfurls; the card an import or a list returned → read, patch,
delete, details, Jira issue, linked tickets; my teams → boards and integrations of a team), so the operations
on one board or card are reached with real ids, not only generated ones."""

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


BOARD_OPERATIONS = ["boards_cards_list", "boards_cards_create", "boards_unfurls_create"]
CARD_OPERATIONS = ["cards_retrieve", "cards_partial_update", "cards_destroy",
                   "cards_details_retrieve", "cards_jira_issue_form", "cards_jira_issue_create",
                   "cards_linked_ticket_form", "cards_linked_ticket_create"]
TEAM_OPERATIONS = ["boards_list", "boards_create", "integrations_list"]
# (operation, response status) -> (path or query parameter, where its value is, the targets)
LINKS = {
    ("boards_create", "201"): ("board_id", "$response.body#/id", BOARD_OPERATIONS),
    ("boards_list", "200"): ("board_id", "$response.body#/0/id", BOARD_OPERATIONS),
    ("boards_cards_create", "201"): ("card_id", "$response.body#/cards/0/id", CARD_OPERATIONS),
    ("boards_cards_list", "200"): ("card_id", "$response.body#/cards/0/id", CARD_OPERATIONS),
    ("me_retrieve", "200"): ("team", "$response.body#/teams/0/id", TEAM_OPERATIONS),
}


def with_links(document: dict) -> dict:
    """`document` with the OpenAPI links of LINKS on the responses they start from."""
    operations = {operation["operationId"]: operation
                  for methods in document["paths"].values() for operation in methods.values()}
    for (source, status), (parameter, expression, targets) in LINKS.items():
        response = operations[source]["responses"][status]
        response["links"] = {
            f"{target}_from_{source}": {"operationId": target,
                                        "parameters": {parameter: expression}}
            for target in targets
        }
    return document


def api_schema(*, links: bool = False):
    """The document /api/v1/schema/ serves, generated in-process (the endpoint itself needs
    authentication, and schemathesis' lazy fixture loader does not run under pytest 9)."""
    from drf_spectacular.generators import SchemaGenerator

    document = json.loads(json.dumps(
        SchemaGenerator().get_schema(request=None, public=True), default=str
    ))
    return schemathesis.openapi.from_dict(with_links(document) if links else document)


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


linked_schema = api_schema(links=True)


def test_linked_operations_answer_within_the_schema_and_never_with_a_server_error(
    member_token, connection_kept_across_requests
):
    """Stateful: sequences of calls that pass ids along the links; a bounded, derandomized
    number of scenarios and steps."""
    from hypothesis import settings as hypothesis_settings

    from config.wsgi import application

    class Workflow(linked_schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"app": application, "headers": {"Authorization": member_token}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS,
                                   headers={"Authorization": member_token})

    Workflow.run(settings=hypothesis_settings(
        max_examples=25, stateful_step_count=8, derandomize=True, deadline=None,
        database=None, suppress_health_check=list(HealthCheck),
    ))
