"""A webhook refresh takes the card's lock, as edits do (cards.card_locks): while an edit holds
it, the delivery's refetch waits, and what it stores is read after the edit, never before.

Real PostgreSQL advisory locks across two connections (the delivery runs in its own thread),
the Asana simulator over HTTP.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from cards.card_locks import card_lock
from cards.models import CardWidget, WebhookSubscription
from cards.webhooks import webhook_events_apply
from integrations.sandbox.asana.seed import WEBSITE_TASK_FIRST
from tests.cards.conftest import make_card

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_delivery_waits_for_an_edit_in_flight_and_stores_what_follows_it(
        sandbox, team, member, board, member_account):
    card = make_card(board, external_id=WEBSITE_TASK_FIRST, title="Stored title")
    subscription = WebhookSubscription.objects.create(
        team=team, integration="asana", container_id="1", subscribed_by=member,
        status=WebhookSubscription.Status.ACTIVE, secret="s" * 32)
    subscription = WebhookSubscription.objects.select_related("team", "subscribed_by").get(
        pk=subscription.pk)
    outcome: dict[str, object] = {}

    def deliver() -> None:
        try:
            outcome["changed"] = webhook_events_apply(
                subscription=subscription, refetch=[WEBSITE_TASK_FIRST], gone=[])
        finally:
            connection.close()

    delivery = threading.Thread(target=deliver)
    with card_lock(card_id=card.pk):  # an edit of the card is in flight
        sandbox.control("change_task", gid=WEBSITE_TASK_FIRST,
                        changes={"name": "Changed before the edit"})
        delivery.start()
        time.sleep(1.5)
        assert delivery.is_alive()  # waiting for the card's lock
        assert CardWidget.objects.get(pk=card.pk).title == "Stored title"
        # The edit writes to the tool and stores the answer, still under the lock.
        sandbox.control("change_task", gid=WEBSITE_TASK_FIRST, changes={"name": "The edit"})
        CardWidget.objects.filter(pk=card.pk).update(title="The edit")
    delivery.join(timeout=30)
    assert not delivery.is_alive() and outcome["changed"] == 1
    assert CardWidget.objects.get(pk=card.pk).title == "The edit"
