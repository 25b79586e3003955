"""The console's install form offers the registry's providers (the key field has no choices)."""

import pytest
from django.urls import reverse

from approvals.models import Installation
from tests.factories import make_admin, make_team

pytestmark = pytest.mark.django_db
ADD = "admin:approvals_installation_add"


def test_the_install_form_lists_the_enabled_providers(client, settings):
    team = make_team()
    client.force_login(make_admin(team))
    page = client.get(reverse(ADD)).content.decode()
    assert '<select name="integration"' in page
    assert '<option value="asana">Asana</option>' in page
    assert '<option value="jira_server">Jira Server</option>' in page
    assert "Minimal Tracker" not in page
    settings.CONDUIT_PROVIDERS = [*settings.CONDUIT_PROVIDERS, "tests.providers.minimal"]
    assert '<option value="minimal">Minimal Tracker</option>' in client.get(
        reverse(ADD)).content.decode()


def test_installing_from_the_console_accepts_an_enabled_key_only(client):
    team = make_team()
    client.force_login(make_admin(team))
    refused = client.post(reverse(ADD), {"team": team.pk, "integration": "linear"})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    done = client.post(reverse(ADD), {"team": team.pk, "integration": "jira_server"})
    assert done.status_code == 302, done.content.decode()[:2000]
    assert Installation.objects.filter(team=team, integration="jira_server").exists()
