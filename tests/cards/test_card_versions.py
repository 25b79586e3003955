"""Optimistic concurrency on a card: GET and PATCH answer the card's version in `ETag`; a PATCH
with an `If-Match` that names another version writes nothing and answers 412 with the current
values and the submitted ones; without If-Match the last write wins as before."""

from __future__ import annotations

import pytest

from cards import errors
from cards.models import CardWidget
from integrations.sandbox.asana.seed import WEBSITE_TASK_FIRST
from tests.cards.conftest import api_client, make_card

pytestmark = pytest.mark.django_db

TASK_PATH = f"/api/1.0/tasks/{WEBSITE_TASK_FIRST}"


@pytest.fixture
def card(board):
    return make_card(board, WEBSITE_TASK_FIRST, title="Draft homepage copy")


def _get(client, card):
    return client.get(f"/api/v1/cards/{card.pk}")


def _patch(client, card, body, **headers):
    return client.patch(f"/api/v1/cards/{card.pk}", body, format="json", headers=headers)


def test_a_patch_with_the_current_etag_is_written_and_answers_the_new_etag(
    sandbox, member, member_account, card
):
    client = api_client(member)
    etag = _get(client, card)["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    response = _patch(client, card, {"title": "Homepage copy, final"}, if_match=etag)
    assert response.status_code == 200, response.content[:300]
    assert sandbox.control("task", gid=WEBSITE_TASK_FIRST)["data"]["name"] == \
        "Homepage copy, final"
    assert response["ETag"] != etag
    assert response["ETag"] == _get(client, card)["ETag"]


def test_a_patch_with_a_stale_etag_answers_412_with_current_and_submitted_values(
    sandbox, member, member_account, card
):
    client = api_client(member)
    stale = _get(client, card)["ETag"]
    assert _patch(client, card, {"title": "Someone else's title"}).status_code == 200
    sandbox.clear_requests()
    before = CardWidget.objects.values().get(pk=card.pk)

    response = _patch(client, card, {"title": "My title"}, if_match=stale)

    assert response.status_code == 412, response.content[:300]
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("card_changed", errors.CARD_CHANGED)
    assert error["detail"]["submitted"] == {"title": "My title"}
    assert error["detail"]["current"]["title"] == "Someone else's title"
    assert error["detail"]["current"]["etag"] == _get(client, card)["ETag"]
    assert sandbox.requests(TASK_PATH) == []  # Asana was not asked
    assert CardWidget.objects.values().get(pk=card.pk) == before


@pytest.mark.parametrize("if_match", ['W/"{etag}"', '"not-the-version"', "garbage"])
def test_a_weak_or_unknown_etag_never_matches(sandbox, member, member_account, card, if_match):
    client = api_client(member)
    etag = _get(client, card)["ETag"].strip('"')
    response = _patch(client, card, {"title": "My title"}, if_match=if_match.format(etag=etag))
    assert response.status_code == 412
    assert sandbox.requests(TASK_PATH) == []


@pytest.mark.parametrize("if_match", ["*", '"other", {etag}'])
def test_a_star_or_a_list_holding_the_etag_matches(sandbox, member, member_account, card,
                                                   if_match):
    client = api_client(member)
    etag = _get(client, card)["ETag"]
    response = _patch(client, card, {"title": "My title"}, if_match=if_match.format(etag=etag))
    assert response.status_code == 200, response.content[:300]


def test_a_change_made_in_asana_and_seen_by_details_makes_the_etag_stale(
    sandbox, member, member_account, card
):
    client = api_client(member)
    etag = _get(client, card)["ETag"]
    sandbox.control("change_task", gid=WEBSITE_TASK_FIRST, changes={"name": "Renamed in Asana"})
    details = client.get(f"/api/v1/cards/{card.pk}/details")
    assert details.status_code == 200
    assert details["ETag"] == _get(client, card)["ETag"] != etag
    assert _patch(client, card, {"title": "My title"}, if_match=etag).status_code == 412
    assert _patch(client, card, {"title": "My title"},
                  if_match=details["ETag"]).status_code == 200
