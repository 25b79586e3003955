"""Editing a card writes to Asana first; a refusal keeps the card's last good data, records the
error on the card and gives back what the user submitted."""

from __future__ import annotations

import pytest

from cards.models import CardWidget
from integrations.sandbox.asana.seed import WEBSITE_TASK_FIRST
from tests.cards.conftest import api_client, make_card

pytestmark = pytest.mark.django_db

SUBMITTED = {"title": "Homepage copy, final", "description": "Approved by legal"}
TASK_PATH = f"/api/1.0/tasks/{WEBSITE_TASK_FIRST}"


@pytest.fixture
def card(board):
    return make_card(board, WEBSITE_TASK_FIRST, title="Draft homepage copy",
                     description="Stored notes")


def _patch(member, card, body=SUBMITTED):
    return api_client(member).patch(f"/api/v1/cards/{card.pk}", body, format="json")


def test_an_accepted_change_is_written_to_asana_then_stored(sandbox, member, member_account,
                                                            card):
    response = _patch(member, card, {**SUBMITTED, "completed": True})
    assert response.status_code == 200, response.content[:300]
    task = sandbox.control("task", gid=WEBSITE_TASK_FIRST)["data"]
    assert (task["name"], task["notes"], task["completed"]) == (
        SUBMITTED["title"], SUBMITTED["description"], True)
    card.refresh_from_db()
    assert card.title == SUBMITTED["title"]
    assert card.status.startswith("done")
    assert card.sync_error == ""
    assert card.synced_at is not None


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        pytest.param({"status": 403}, 403, "provider_forbidden", id="403"),
        pytest.param({"status": 404}, 404, "provider_not_found", id="404"),
        pytest.param({"status": 409}, 409, "provider_conflict", id="409"),
        pytest.param({"status": 422}, 422, "provider_rejected", id="422"),
        pytest.param({"status": 429, "retry_after": 30}, 429, "provider_rate_limited", id="429"),
        pytest.param({"status": 500}, 502, "provider_unavailable", id="500"),
        pytest.param({"status": 503}, 502, "provider_unavailable", id="503"),
        pytest.param({"hang_seconds": 3}, 504, "provider_timeout", id="timeout"),
    ],
)
def test_a_refused_change_keeps_the_card_and_returns_what_was_submitted(
    sandbox, settings, member, member_account, card, fault, status, code
):
    settings.EGRESS_MAX_TIMEOUT = 1.0  # the timeout case: the guard caps the read at 1 s
    before = CardWidget.objects.values().get(pk=card.pk)
    sandbox.fault(path_prefix=TASK_PATH, method="PUT", times=1, **fault)
    response = _patch(member, card)
    assert response.status_code == status, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == code
    assert error["detail"]["submitted"] == SUBMITTED
    assert error["message"]
    if status == 429:
        assert response["Retry-After"] == "30"
        assert error["detail"]["retry_after"] == 30
    after = CardWidget.objects.values().get(pk=card.pk)
    assert after["sync_error"] == error["message"]
    assert {k: v for k, v in after.items() if k != "sync_error"} == \
        {k: v for k, v in before.items() if k != "sync_error"}
    assert sandbox.control("task", gid=WEBSITE_TASK_FIRST)["data"]["name"] == \
        "Draft homepage copy"


def test_the_next_successful_change_clears_the_sync_error(sandbox, member, member_account, card):
    sandbox.fault(path_prefix=TASK_PATH, method="PUT", times=1, status=500)
    assert _patch(member, card).status_code == 502
    card.refresh_from_db()
    assert card.sync_error
    retried = _patch(member, card)
    assert retried.status_code == 200
    assert retried.json()["sync_error"] == ""
    card.refresh_from_db()
    assert (card.title, card.sync_error) == (SUBMITTED["title"], "")


def test_a_change_without_a_connection_says_where_to_connect_and_keeps_the_values(
    sandbox, member, installed, card
):
    response = _patch(member, card)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["detail"]["connect_url"] == "/integrations/asana/connect"
    assert error["detail"]["submitted"] == SUBMITTED


def test_an_empty_change_is_refused_before_asana_is_called(sandbox, member, member_account,
                                                           card):
    response = _patch(member, card, {})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "nothing_to_change"
    assert sandbox.requests(TASK_PATH) == []


def test_a_card_deleted_while_its_change_is_written_answers_not_found(sandbox, member,
                                                                     member_account, card):
    # The API loaded the card before this deletion; without If-Match the edit does not read the
    # card again, writes the tool, and its one UPDATE finds no card: 404, as if the deletion had
    # come right after the edit, and nothing is stored again.
    from cards import errors, services

    CardWidget.objects.filter(pk=card.pk).delete()
    with pytest.raises(errors.CardNotFound):
        services.card_update(card=card, acting_user=member, title=SUBMITTED["title"])
    assert [entry["method"] for entry in sandbox.requests(TASK_PATH)] == ["PUT"]
    assert sandbox.control("task", gid=WEBSITE_TASK_FIRST)["data"]["name"] == SUBMITTED["title"]
    assert not CardWidget.objects.filter(pk=card.pk).exists()
