"""The provider registry: loaded from CONDUIT_PROVIDERS, and what is derived from it.

`tests.providers.minimal` is a provider package that exists only here: enabling it is one
settings override, and the catalog, the egress allow-list, key validation and the display names
follow with no other edit (and no migration: the key fields carry no choices).
"""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from approvals import errors as approval_errors
from approvals.catalog import CATALOG, catalog_entry
from approvals.models import InstallRequest
from approvals.services import install_request_create
from integrations.egress.policy import allowed_hosts
from integrations.management.commands.sandbox import simulators
from integrations.providers import (
    ALL_CAPABILITIES,
    Attachments,
    AttachmentUpload,
    LinkParsing,
    LinkTarget,
    Revocation,
    TicketBatchRead,
    TicketRead,
    UnknownProvider,
    all_providers,
    get_provider,
    parse_any_link,
    provider_keys,
    supports,
)
from integrations.providers.registry import CAPABILITY_MISSING, CAPABILITY_UNDECLARED
from tests.factories import make_member, make_team

BUILT_IN = ["integrations.asana", "integrations.jira_server"]
WITH_MINIMAL = [*BUILT_IN, "tests.providers.minimal"]


def test_the_setting_lists_the_built_in_providers_in_order(settings):
    assert settings.CONDUIT_PROVIDERS == BUILT_IN
    assert provider_keys() == ["asana", "jira_server"]
    assert [provider.name for provider in all_providers()] == ["Asana", "Jira Server"]


def test_a_provider_package_is_enabled_by_the_setting_alone(settings):
    settings.CONDUIT_PROVIDERS = WITH_MINIMAL
    minimal = get_provider("minimal")
    assert minimal.name == "Minimal Tracker"
    assert parse_any_link("https://minimal.test/items/42").provider == "minimal"
    settings.CONDUIT_PROVIDERS = BUILT_IN
    with pytest.raises(UnknownProvider):
        get_provider("minimal")
    assert parse_any_link("https://minimal.test/items/42") is None


def test_the_catalog_is_derived_from_the_manifests(settings):
    assert catalog_entry("asana").plans == {"business", "enterprise"}
    assert "minimal" not in CATALOG
    settings.CONDUIT_PROVIDERS = WITH_MINIMAL
    entry = CATALOG["minimal"]
    assert entry.name == "Minimal Tracker"
    # A plan Conduit does not sell ("platinum") is not offered.
    assert entry.plans == {"starter", "business", "enterprise"}


def test_the_egress_allow_list_follows_the_enabled_providers(settings):
    settings.ASANA_API_URL = "https://app.asana.com/api/1.0"
    settings.ASANA_OAUTH_URL = "https://app.asana.com/-/"
    settings.EGRESS_ALLOWED_HOSTS = []
    assert allowed_hosts() == {"app.asana.com"}
    settings.CONDUIT_PROVIDERS = WITH_MINIMAL
    settings.MINIMAL_API_URL = "https://api.minimal.example/v2"
    assert allowed_hosts() == {"app.asana.com", "api.minimal.example"}


@pytest.mark.django_db
def test_services_validate_keys_against_the_registry(settings):
    team = make_team()
    member = make_member(team)
    with pytest.raises(approval_errors.UnknownIntegration):
        install_request_create(team=team, integration="minimal", requested_by=member)
    settings.CONDUIT_PROVIDERS = WITH_MINIMAL
    request = install_request_create(team=team, integration="minimal", requested_by=member)
    stored = InstallRequest.objects.get(pk=request.pk)
    assert stored.integration == "minimal"
    assert stored.get_integration_display() == "Minimal Tracker"


def test_a_declared_capability_the_provider_lacks_refuses_to_load(settings):
    settings.CONDUIT_PROVIDERS = [*BUILT_IN, "tests.providers.broken"]
    with pytest.raises(ImproperlyConfigured) as refused:
        all_providers()
    assert str(refused.value) == CAPABILITY_MISSING.format(
        package="tests.providers.broken", capability="TicketRead")
    settings.CONDUIT_PROVIDERS = BUILT_IN
    assert provider_keys() == ["asana", "jira_server"]


def test_a_capability_the_provider_implements_but_does_not_declare_refuses_to_load(settings):
    # supports() answers from the manifest: an undeclared capability would be invisible.
    settings.CONDUIT_PROVIDERS = [*BUILT_IN, "tests.providers.undeclared"]
    with pytest.raises(ImproperlyConfigured) as refused:
        all_providers()
    assert str(refused.value) == CAPABILITY_UNDECLARED.format(
        package="tests.providers.undeclared", capability="TicketCreate")


def test_two_packages_with_one_key_refuse_to_load(settings):
    settings.CONDUIT_PROVIDERS = [*BUILT_IN, "integrations.asana"]
    with pytest.raises(ImproperlyConfigured):
        all_providers()


def test_callers_ask_supports_for_what_each_provider_declares():
    asana, jira = get_provider("asana"), get_provider("jira_server")
    assert supports(asana, Revocation) and not supports(jira, Revocation)
    assert supports(jira, LinkTarget) and supports(jira, AttachmentUpload)
    assert not supports(asana, LinkTarget)
    # Jira reads many issues by key in one search; Asana has no batch read of tasks by gid.
    assert supports(jira, TicketBatchRead) and not supports(asana, TicketBatchRead)
    assert supports("asana", Attachments) and not supports("no-such-provider", TicketRead)
    for provider in (asana, jira):
        for capability in provider.manifest.capabilities:
            assert capability in ALL_CAPABILITIES and isinstance(provider, capability)
        assert LinkParsing in provider.manifest.capabilities


def test_the_sandbox_command_offers_the_enabled_providers_simulators():
    assert sorted(simulators()) == ["asana", "jira"]
    assert simulators()["jira"].simulator == "integrations.sandbox.jira.app:JiraSandbox"


def test_the_sandbox_command_refuses_a_name_no_provider_declares():
    with pytest.raises(CommandError) as refused:
        call_command("sandbox", "linear")
    assert "invalid choice: 'linear' (choose from 'asana', 'jira')" in str(refused.value)
