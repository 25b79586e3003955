"""Linked tickets leave the Jira package: `cards.TicketLink`, filled from every
`integrations.JiraIssueLink` row with nothing lost (integrations 0004 then drops that table).

Each row becomes source "asana" + its task gid -> target "jira_server" on its base URL + its
issue key and id, with the issue's URL as the link always showed it, its author and its creation
time. Reversing copies the asana -> jira_server links back before TicketLink goes.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


ASANA, JIRA = "asana", "jira_server"  # the provider keys, frozen for this migration
BATCH = 1000


def issue_url(base_url, key):
    """integrations.jira_server.links.issue_url, frozen for this migration."""
    return f"{base_url}/browse/{key}"


def jira_issue_links_to_ticket_links(apps, schema_editor):
    JiraIssueLink = apps.get_model("integrations", "JiraIssueLink")
    TicketLink = apps.get_model("cards", "TicketLink")
    rows = JiraIssueLink.objects.order_by("pk").iterator(chunk_size=BATCH)
    batch = []
    for row in rows:
        batch.append(TicketLink(
            team_id=row.team_id, source_provider=ASANA, source_external_id=row.asana_task_gid,
            target_provider=JIRA, target_site=row.base_url,
            target_external_id=row.jira_issue_key, target_internal_id=row.jira_issue_id,
            target_url=issue_url(row.base_url, row.jira_issue_key),
            created_by_id=row.created_by_id, created_at=row.created_at,
        ))
        if len(batch) >= BATCH:
            TicketLink.objects.bulk_create(batch)
            batch = []
    TicketLink.objects.bulk_create(batch)


def ticket_links_to_jira_issue_links(apps, schema_editor):
    JiraIssueLink = apps.get_model("integrations", "JiraIssueLink")
    TicketLink = apps.get_model("cards", "TicketLink")
    links = TicketLink.objects.filter(source_provider=ASANA, target_provider=JIRA)
    for link in links.order_by("pk").iterator(chunk_size=BATCH):
        row, _ = JiraIssueLink.objects.get_or_create(
            team_id=link.team_id, base_url=link.target_site,
            asana_task_gid=link.source_external_id[:64],
            jira_issue_key=link.target_external_id[:100],
            defaults={"jira_issue_id": link.target_internal_id[:32],
                      "created_by_id": link.created_by_id},
        )
        # auto_now_add set the row's creation time to now: put the link's own back.
        JiraIssueLink.objects.filter(pk=row.pk).update(created_at=link.created_at)


class Migration(migrations.Migration):

    dependencies = [
        ('approvals', '0001_initial'),
        # The rows to copy; integrations 0004 drops their table after this migration.
        ('integrations', '0002_check_in_background_and_labels'),
        ('cards', '0003_webhook_one_path'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='TicketLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source_provider', models.CharField(max_length=30)),
                ('source_external_id', models.CharField(max_length=255)),
                ('target_provider', models.CharField(max_length=30)),
                ('target_site', models.CharField(blank=True, max_length=500)),
                ('target_external_id', models.CharField(max_length=255)),
                ('target_internal_id', models.CharField(blank=True, max_length=64)),
                ('target_url', models.URLField(max_length=2000)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ticket_links', to='approvals.team')),
            ],
            options={
                'ordering': ['created_at', 'id'],
                'indexes': [models.Index(fields=['team', 'source_provider', 'source_external_id'], name='ticket_link_source')],
                'constraints': [models.UniqueConstraint(fields=('team', 'source_provider', 'source_external_id', 'target_provider', 'target_site', 'target_external_id'), name='ticket_link_unique')],
            },
        ),
        migrations.RunPython(jira_issue_links_to_ticket_links,
                             ticket_links_to_jira_issue_links),
    ]
