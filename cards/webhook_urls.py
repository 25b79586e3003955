"""Provider webhooks, mounted at /webhooks/: one path, `/webhooks/<provider>/<subscription id>`.

The subscription id may be followed by `.<token>`, the secret of providers that sign nothing
and carry the proof in the URL they post to (Jira Server); logs never show it
(config.logging, config.gunicorn). The provider key is checked against the registry by the
view, so a provider added to CONDUIT_PROVIDERS needs no route here.
"""

from __future__ import annotations

import uuid

from django.urls import path, register_converter

from cards.webhook_views import SubscriptionRef, webhook_delivery, webhook_delivery_legacy_jira

app_name = "cards-webhooks"

UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
TOKEN = "[A-Za-z0-9_-]{1,128}"


class ProviderKeyConverter:
    regex = "[a-z][a-z0-9_]{0,29}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return str(value)


class SubscriptionConverter:
    """`<uuid>` or `<uuid>.<token>`."""

    regex = f"{UUID}(?:\\.{TOKEN})?"

    def to_python(self, value: str) -> SubscriptionRef:
        key, _, token = value.partition(".")
        return SubscriptionRef(id=uuid.UUID(key), token=token)

    def to_url(self, value: object) -> str:
        if isinstance(value, SubscriptionRef):
            return f"{value.id}.{value.token}" if value.token else str(value.id)
        return str(value)


class LegacyJiraHookConverter:
    """`<connection id hex>.<secret>`: the form Jira webhooks were registered with before."""

    regex = "[0-9a-f]{32}\\.[A-Za-z0-9_-]{16,128}"

    def to_python(self, value: str) -> SubscriptionRef:
        key, _, token = value.partition(".")
        return SubscriptionRef(id=uuid.UUID(hex=key), token=token)

    def to_url(self, value: object) -> str:
        if isinstance(value, SubscriptionRef):
            return f"{value.id.hex}.{value.token}"
        return str(value)


register_converter(ProviderKeyConverter, "webhook_provider")
register_converter(SubscriptionConverter, "webhook_subscription")
register_converter(LegacyJiraHookConverter, "legacy_jira_hook")

urlpatterns = [
    # Deprecated (kept while the REST contract names /webhooks/jira/{id}): Jira Server webhooks registered before one webhook path
    # post to /webhooks/jira/<connection id hex>.<secret>; the connection's subscription row
    # (integrations migration 0003) has the connection's id, so this is the same delivery.
    # Registering the webhook again (the Jira console) moves it to the path below.
    path("jira/<legacy_jira_hook:subscription>", webhook_delivery_legacy_jira,
         name="legacy-jira"),
    path("<webhook_provider:provider>/<webhook_subscription:subscription>", webhook_delivery,
         name="delivery"),
]
