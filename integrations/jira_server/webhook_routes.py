"""The route of a connection's webhook in cards' one webhook path: its subscription id is the
connection's id, its secret the connection's webhook secret (integrations.providers.webhook_routes
says how the route is kept without this package importing cards)."""

from __future__ import annotations

from typing import Any

from integrations.jira_server.mapping import PROVIDER_KEY
from integrations.providers.webhook_routes import webhook_route_published, webhook_route_withdrawn


def webhook_route_publish(*, connection: Any) -> None:
    """Deliveries to the connection's webhook URL update its team's cards (idempotent)."""
    webhook_route_published.send(
        sender=PROVIDER_KEY, team=connection.team, subscription_id=connection.pk,
        container_id=str(connection.pk), secret=connection.webhook_secret,
    )


def webhook_route_withdraw(*, connection: Any) -> None:
    """Deliveries to the connection's webhook URL are refused from now on."""
    webhook_route_withdrawn.send(sender=PROVIDER_KEY, team=connection.team,
                                 subscription_id=connection.pk)
