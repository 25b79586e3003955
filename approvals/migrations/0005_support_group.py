"""The Support group: support staff are staff users in it (approvals.selectors.is_support).

Its rights come from Conduit's own checks on group membership (the console's read-only views of
every team and the "revoke tokens" action), not from model permissions, so the group holds
none. Reversing the migration keeps the group: its members would lose their role otherwise.
"""

from django.db import migrations

SUPPORT_GROUP = "Support"  # approvals.selectors.SUPPORT_GROUP, frozen for this migration


def create_support_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=SUPPORT_GROUP)


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0004_audit_actions_and_labels"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_support_group, migrations.RunPython.noop)]
