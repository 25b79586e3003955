"""URLs of the Jira Server connector: the webhook receiver (included under /webhooks/jira/)."""

from django.urls import re_path

from config.observability.metrics import webhook_deliveries_counted
from integrations.jira_server import views

app_name = "jira_server"

urlpatterns = [
    re_path(r"^(?P<hook_id>[0-9a-f]{32}\.[A-Za-z0-9_-]{16,128})$", webhook_deliveries_counted("jira_server")(views.webhook_receive), name="webhook"),
]
