"""The audit vocabulary gains "ticket_link.create" (cards.linked_tickets); choices only, no SQL."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('approvals', '0005_support_group'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('auth.login', 'Signed in'), ('auth.logout', 'Signed out'), ('auth.login_failed', 'Failed sign-in'), ('install_request.create', 'Install requested'), ('install_request.approve', 'Install request approved'), ('install_request.deny', 'Install request denied'), ('install_request.cancel', 'Install request cancelled'), ('integration.install', 'Installed for team'), ('integration.uninstall_for_team', 'Uninstalled for team'), ('integration.uninstall_for_me', 'Uninstalled for self'), ('membership.create', 'Member added'), ('membership.change', "Member's role changed"), ('membership.delete', 'Member removed'), ('user.create', 'User created'), ('user.change', 'User changed'), ('user.delete', 'User deleted'), ('account.connect', 'Account connected'), ('account.connect_refused', 'Connection refused'), ('account.needs_reconnect', 'Account needs reconnect'), ('account.revoke', 'Account revoked'), ('account.purge', 'Unused credentials deleted'), ('account.provider_revoke_failed', 'Provider revocation failed'), ('account.provider_revoke_abandoned', 'Provider revocation abandoned'), ('notification.failed', 'E-mail not sent'), ('jira_server.register', 'Jira Server registered'), ('jira_server.reconnect', 'Jira Server registered again'), ('jira_server.check', 'Jira compatibility checked'), ('jira_server.applink_verified', 'Application Link verified'), ('jira_server.applink_verify_failed', 'Application Link verification failed'), ('jira_server.applink_register', 'Application Link registered'), ('jira_server.remove', 'Jira Server removed'), ('jira_server.webhook_register', 'Jira webhook registered'), ('jira_server.issue_link', 'Jira issue linked'), ('ticket_link.create', 'Linked ticket created')], db_index=True, max_length=64),
        ),
    ]
