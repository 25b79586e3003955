"""Provider webhooks, mounted at /webhooks/."""

from django.urls import path

from cards.webhook_views import asana_webhook
from config.observability.metrics import webhook_deliveries_counted

app_name = "cards-webhooks"

urlpatterns = [
    path("asana/<uuid:subscription_id>", webhook_deliveries_counted("asana")(asana_webhook),
         name="asana"),
]
