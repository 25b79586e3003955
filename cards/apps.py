from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "cards"
    verbose_name = "Boards and cards"

    def ready(self) -> None:
        from approvals.hooks import register_member_leaving
        from cards.webhook_handover import webhook_subscriptions_hand_over
        from config.bearer_cache import connect_invalidation

        # A member who leaves a team takes their account with them: move their subscriptions.
        register_member_leaving(webhook_subscriptions_hand_over)
        # The API's bearer tokens are kept a few seconds per process: any change drops them.
        connect_invalidation()
