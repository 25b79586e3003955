"""Webhooks a provider's own console registers (Jira Server's, one per server) still arrive at
cards' one webhook path, which routes a delivery through a subscription row. The provider
package announces such a webhook here and cards keeps the row (its AppConfig connects the
receivers), so the package imports nothing of cards.

Both are Django signals sent with `sender` = the provider key; a receiver's failure propagates
(`send`, not `send_robust`): a webhook whose route could not be stored is not registered.

- `webhook_route_published(team, subscription_id, container_id, secret)`: deliveries to
  `/webhooks/<provider>/<subscription_id>` are this team's; `secret` is what the provider's
  `webhook_receive` verifies them with (`WebhookSubscriptionInfo.secret`). Send it before the
  provider is asked to post there: its first delivery can follow at once.
- `webhook_route_withdrawn(team, subscription_id)`: the route goes (the connection is removed).
"""

from __future__ import annotations

from django.dispatch import Signal

webhook_route_published = Signal()
webhook_route_withdrawn = Signal()
