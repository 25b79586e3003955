"""cards asks the registry what a provider can do before it calls it (supports(), never
getattr): a provider that declares no TicketUpdate or TicketRead gets a clear refusal, and the
provider is not called."""

import pytest
from rest_framework.test import APIClient

from cards import errors
from cards.models import Board, CardWidget
from tests.factories import make_member, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(settings):
    # tests.providers.minimal declares LinkParsing only.
    settings.CONDUIT_PROVIDERS = [*settings.CONDUIT_PROVIDERS, "tests.providers.minimal"]
    team = make_team()
    member = make_member(team)
    board = Board.objects.create(team=team, name="B", created_by=member)
    card = CardWidget.objects.create(board=board, provider="minimal", external_id="42",
                                     url="https://minimal.test/items/42", title="Stored")
    client = APIClient(REMOTE_ADDR="127.0.9.2")
    client.force_login(member)
    return client, card


def test_editing_a_card_of_a_provider_without_ticket_update_is_refused(card):
    client, card = card
    response = client.patch(f"/api/v1/cards/{card.pk}", {"title": "New"}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["message"] == errors.NOT_SUPPORTED.format(
        integration="Minimal Tracker", feature="editing tasks")
    card.refresh_from_db()
    assert card.title == "Stored"


def test_the_picker_of_a_provider_without_browsing_is_refused(card, settings):
    client, card = card
    from approvals.models import Installation

    Installation.objects.create(team=card.board.team, integration="minimal")
    response = client.get("/api/v1/integrations/minimal/picker/")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["message"] == errors.NOT_SUPPORTED.format(
        integration="Minimal Tracker", feature="browsing workspaces")
