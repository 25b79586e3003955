"""Applying Jira webhook deliveries to the team's cards.

The receiver (views.py) has already matched the URL's secret to a connection. A created or
updated issue refreshes every card of that issue on the team's boards from the delivered issue
(Jira sends the whole issue; the secret in the URL is the proof it came from the registered
server); a deleted issue marks its cards' sync_error. Other events are acknowledged and ignored.
"""

from __future__ import annotations

from typing import Any

from cards.selectors import cards_of_ticket
from cards.services import card_refresh_from_tickets
from integrations.jira_server import mapping, webhooks
from integrations.models import JiraServerConnection

ISSUE_DELETED = "Jira says this issue was deleted."
ISSUE_FROM_OTHER_SERVER = "issue from another server"


def delivery_apply(*, connection: JiraServerConnection, payload: Any) -> int:
    """How many cards the delivery changed (0 for events that concern no card)."""
    event = webhooks.issue_event(payload)
    if event is None:
        return 0
    team, key = connection.team, event.issue_key
    if event.deletes:
        return cards_of_ticket(team=team, integration=mapping.PROVIDER_KEY,
                               external_ids=[key]).update(sync_error=ISSUE_DELETED)
    if not event.updates or event.issue is None:
        return 0
    ticket = mapping.issue_to_ticket(event.issue, base_url=connection.base_url)
    cards = list(cards_of_ticket(team=team, integration=mapping.PROVIDER_KEY,
                                 external_ids=[ticket.external_id]))
    if not cards:
        return 0
    return card_refresh_from_tickets(cards=cards, tickets={ticket.external_id: ticket})
