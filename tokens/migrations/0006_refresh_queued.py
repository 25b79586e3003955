from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tokens', '0005_revoked_accounts_kept'),
    ]

    operations = [
        migrations.AddField(
            model_name='connectedaccount',
            name='refresh_queued_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
