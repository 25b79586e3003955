"""JiraIssueLink is gone: cards 0004 copied every row into cards.TicketLink first.

Dropped rather than kept unused for a release: nothing reads or writes it any more, and a
second table holding the same links would only drift. Reversing recreates the table, and
cards 0004's reverse copies the links back into it.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0003_webhook_one_path'),
        ('cards', '0004_ticket_link'),
    ]

    operations = [
        migrations.DeleteModel(
            name='JiraIssueLink',
        ),
    ]
