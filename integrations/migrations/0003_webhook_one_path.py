"""Every Jira Server connection gets the route of its webhook in cards' one webhook path: a
`cards.WebhookSubscription` whose id is the connection's id, its container the connection, its
secret the connection's webhook secret (integrations.jira_server.webhook_routes does the same for
connections registered from now on). Jira keeps posting to the URL registered before,
`/webhooks/jira/<id hex>.<secret>`, until an admin registers the webhook again; that form
reaches the same view through this row (cards.webhook_urls, deprecated)."""

from django.db import migrations

PROVIDER_KEY = "jira_server"


def routes_create(apps, schema_editor):
    connections = apps.get_model("integrations", "JiraServerConnection")
    subscriptions = apps.get_model("cards", "WebhookSubscription")
    for connection in connections.objects.exclude(webhook_secret__isnull=True).iterator():
        if subscriptions.objects.filter(pk=connection.pk).exists():
            continue
        subscription = subscriptions(
            id=connection.pk, team_id=connection.team_id, integration=PROVIDER_KEY,
            container_id=str(connection.pk), status="active",
            provider_webhook_id=connection.webhook_id or "",
        )
        subscription.secret = connection.webhook_secret
        subscription.save()


def routes_delete(apps, schema_editor):
    apps.get_model("cards", "WebhookSubscription").objects.filter(
        integration=PROVIDER_KEY, subscribed_by__isnull=True).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("integrations", "0002_check_in_background_and_labels"),
        ("cards", "0003_webhook_one_path"),
    ]

    operations = [migrations.RunPython(routes_create, routes_delete)]
