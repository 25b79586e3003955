"""Provider webhooks, mounted at /webhooks/."""

from django.urls import path

from cards.webhook_views import asana_webhook

app_name = "cards-webhooks"

urlpatterns = [
    path("asana/<uuid:subscription_id>", asana_webhook, name="asana"),
]
