from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "cards"
    verbose_name = "Boards and cards"

    def ready(self) -> None:
        from approvals.hooks import register_member_leaving
        from cards.webhook_handover import webhook_subscriptions_hand_over
        from cards.webhook_routes import route_published, route_withdrawn
        from config.bearer_cache import connect_invalidation
        from integrations.providers.webhook_routes import (
            webhook_route_published,
            webhook_route_withdrawn,
        )

        # A member who leaves a team takes their account with them: move their subscriptions.
        register_member_leaving(webhook_subscriptions_hand_over)
        # Webhooks a provider's console registers (Jira's) are routed through cards' rows.
        webhook_route_published.connect(route_published, dispatch_uid="cards.route_published")
        webhook_route_withdrawn.connect(route_withdrawn, dispatch_uid="cards.route_withdrawn")
        # The API's bearer tokens are kept a few seconds per process: any change drops them.
        connect_invalidation()
