"""How the console reaches a provider package and how a provider package reaches the apps:
the manifest's console hook (through the registry) one way, the platform hooks the apps
register (integrations.providers.platform) the other; neither side imports the other."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from approvals.models import AuditEvent
from integrations.jira_server import errors as jira_errors
from integrations.providers import all_providers, get_provider, platform
from integrations.providers.registry import AUDIT_ACTION_OUTSIDE_KEY
from tests.factories import make_admin, make_team

pytestmark = pytest.mark.django_db

BUILT_IN = ["integrations.asana", "integrations.jira_server"]


def test_jira_declares_its_console_hook_in_its_manifest():
    console = get_provider("jira_server").manifest.console()
    assert callable(console.services.connection_register)
    assert callable(console.checks.compatibility_check)
    assert get_provider("asana").manifest.console is None


def test_registering_a_server_is_audited_by_approvals_through_the_platform_hook():
    team = make_team()
    admin = make_admin(team)
    services = get_provider("jira_server").manifest.console().services
    connection = services.connection_register(team=team, base_url="https://jira.example.com",
                                              acting_user=admin, source_ip="203.0.113.9")
    event = AuditEvent.objects.get(action="jira_server.register")
    assert (event.actor, event.team, event.source_ip) == (admin, team, "203.0.113.9")
    assert event.metadata["connection"] == str(connection.pk)
    assert "private_key_pem" not in event.metadata


def test_a_member_cannot_register_a_server_the_admin_check_is_approvals():
    from tests.factories import make_member

    team = make_team()
    services = get_provider("jira_server").manifest.console().services
    with pytest.raises(jira_errors.NotTeamAdmin):
        services.connection_register(team=team, base_url="https://jira.example.com",
                                     acting_user=make_member(team))
    assert not AuditEvent.objects.exists()


def test_the_webhook_needs_the_admins_own_account_through_tokens():
    team = make_team()
    admin = make_admin(team)
    services = get_provider("jira_server").manifest.console().services
    connection = services.connection_register(team=team, base_url="https://jira.example.com",
                                              acting_user=admin)
    with pytest.raises(jira_errors.WebhookNotRegistered) as refused:
        services.webhook_register(connection=connection, acting_user=admin,
                                  base="https://conduit.example.com")
    assert refused.value.message == jira_errors.WEBHOOK_NEEDS_ACCOUNT


def test_an_unregistered_platform_hook_says_the_apps_are_not_ready(monkeypatch):
    monkeypatch.setattr(platform, "_hooks", {})
    with pytest.raises(RuntimeError) as refused:
        platform.is_team_admin(user=None, team=None)
    assert str(refused.value) == platform.PLATFORM_NOT_READY.format(name="is_team_admin")


def test_jira_check_command_runs_the_check_through_the_console_hook(capsys):
    with pytest.raises(CommandError):
        call_command("jira_check", "http://jira.example.com")  # not HTTPS: a failed requirement
    assert "[FAIL   ] HTTPS is used" in capsys.readouterr().out


def test_a_provider_declaring_an_audit_action_outside_its_key_refuses_to_load(settings):
    settings.CONDUIT_PROVIDERS = [*BUILT_IN, "tests.providers.stray_audit"]
    with pytest.raises(ImproperlyConfigured) as refused:
        all_providers()
    assert str(refused.value) == AUDIT_ACTION_OUTSIDE_KEY.format(
        package="tests.providers.stray_audit", action="account.revoke", prefix="stray_audit.")
    settings.CONDUIT_PROVIDERS = BUILT_IN
