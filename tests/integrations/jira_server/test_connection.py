"""Registering a team's Jira Server: one per team, keys, reconnect, check, Application Link."""

import pytest
from cryptography.hazmat.primitives import serialization
from django.db import connection as db_connection

from approvals.models import AuditEvent
from integrations.jira_server import checks, errors, oauth, services
from integrations.jira_server.keys import public_key_body
from integrations.jira_server.selectors import server_context
from integrations.models import JiraServerConnection
from tests.factories import make_admin, make_team
from tests.fixtures.jira import generate_rsa_key_pair
from tests.integrations.jira_server.conftest import CONSOLE_BASE

pytestmark = pytest.mark.django_db


def raw_column(connection: JiraServerConnection, column: str) -> str:
    with db_connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM integrations_jiraserverconnection WHERE id = %s",
                       [connection.pk])
        return cursor.fetchone()[0]


def test_registration_creates_an_rsa_2048_key_pair_with_the_private_key_encrypted(connection):
    private = serialization.load_pem_private_key(connection.private_key_pem.encode(), None)
    assert private.key_size == 2048
    public = serialization.load_pem_public_key(connection.public_key_pem.encode())
    assert public.public_numbers() == private.public_key().public_numbers()
    stored = raw_column(connection, "private_key_pem")
    assert "PRIVATE KEY" not in stored and connection.private_key_pem not in stored
    assert connection.consumer_key.startswith("conduit-")
    assert connection.status == JiraServerConnection.Status.REGISTERED


def test_webhook_secret_is_random_per_connection_and_encrypted(team, admin, jira):
    first = services.connection_register(team=team, base_url=jira.base_url, acting_user=admin)
    other_team = make_team("Globex")
    second = services.connection_register(team=other_team, base_url=jira.base_url,
                                          acting_user=make_admin(other_team))
    assert first.webhook_secret and second.webhook_secret
    assert first.webhook_secret != second.webhook_secret
    assert len(first.webhook_secret) >= 40
    assert first.webhook_secret not in raw_column(first, "webhook_secret")
    assert first.webhook_secret not in first.private_key_pem + first.public_key_pem


def test_a_second_server_for_the_same_team_is_refused_with_a_clear_message(connection, admin):
    with pytest.raises(errors.SecondServerRefused) as refused:
        services.connection_register(team=connection.team, base_url="https://jira.example.com",
                                     acting_user=admin)
    assert refused.value.message == errors.SECOND_SERVER_REFUSED.format(
        team="Acme", current=connection.base_url, requested="https://jira.example.com")
    assert JiraServerConnection.objects.count() == 1


def test_registering_the_same_server_again_keeps_the_connection_and_its_keys(connection, admin,
                                                                             jira):
    again = services.connection_register(team=connection.team, base_url=jira.base_url + "/",
                                         acting_user=admin)
    assert again.pk == connection.pk
    assert again.public_key_pem == connection.public_key_pem
    assert again.consumer_key == connection.consumer_key
    assert AuditEvent.objects.filter(action="jira_server.reconnect").count() == 1


def test_only_a_team_admin_registers_a_server(team, member, jira):
    with pytest.raises(errors.NotTeamAdmin):
        services.connection_register(team=team, base_url=jira.base_url, acting_user=member)
    assert not JiraServerConnection.objects.exists()


def test_registration_is_audited_without_any_key(connection):
    event = AuditEvent.objects.get(action="jira_server.register")
    assert event.team == connection.team
    text = str(event.metadata)
    assert connection.consumer_key in text
    assert public_key_body(connection.public_key_pem)[:40] not in text
    assert "PRIVATE" not in text and connection.webhook_secret not in text


@pytest.mark.parametrize(("pasted", "stored"), [
    ("HTTPS://Jira.Example.com:443/", "https://jira.example.com"),
    ("https://example.com/jira/secure/Dashboard.jspa", "https://example.com/jira"),
    ("https://jira.example.com:8443/browse/TEST-1", "https://jira.example.com:8443"),
])
def test_the_base_url_is_normalised(team, admin, pasted, stored):
    assert services.connection_register(team=team, base_url=pasted,
                                        acting_user=admin).base_url == stored


def test_a_base_url_with_credentials_is_refused(team, admin):
    with pytest.raises(errors.BaseUrlRefused):
        services.connection_register(team=team, base_url="https://bob:pw@jira.example.com",
                                     acting_user=admin)


def test_the_check_stores_its_report_version_and_status(connection, jira):
    jira.control("version", version="8.22.0")
    report = services.connection_check(connection=connection)
    connection.refresh_from_db()
    assert report.outcome == checks.WARNING
    assert connection.status == JiraServerConnection.Status.COMPATIBLE
    assert connection.server_version == "8.22.0"
    assert connection.check_results["outcome"] == "warning"
    assert connection.check_results["loopback_exception"] is True
    jira.control("version", version="7.2.0")
    services.connection_check(connection=connection)
    connection.refresh_from_db()
    assert connection.status == JiraServerConnection.Status.INCOMPATIBLE


def test_sandbox_registration_enters_the_applink_values_and_verifies_them(linked_connection,
                                                                         jira):
    (applink,) = jira.http.get(jira.url("/_sandbox/applinks"), timeout=5).json()["data"]
    assert applink["consumer_key"] == linked_connection.consumer_key
    assert applink["public_key"].strip() == linked_connection.public_key_pem.strip()
    assert applink["callback"] == CONSOLE_BASE + "/integrations/jira_server/callback"
    assert linked_connection.status == JiraServerConnection.Status.ACTIVE
    assert linked_connection.applink_verified_at is not None


def test_verifying_before_jira_knows_the_consumer_names_the_problem(connection, admin):
    with pytest.raises(errors.ApplinkNotVerified) as refused:
        services.applink_verify(connection=connection, acting_user=admin)
    assert "oauth_problem=consumer_key_unknown" in refused.value.message
    assert connection.consumer_key in refused.value.message
    assert "Application Link page" in refused.value.message
    assert refused.value.detail["oauth_problem"] == "consumer_key_unknown"


def test_verifying_with_another_public_key_in_jira_says_signature_invalid(connection, admin,
                                                                          jira):
    jira.control("applinks", consumer_key=connection.consumer_key, name="Conduit",
                 public_key=generate_rsa_key_pair().public_pem)
    with pytest.raises(errors.ApplinkNotVerified) as refused:
        services.applink_verify(connection=connection, acting_user=admin)
    assert "oauth_problem=signature_invalid" in refused.value.message
    assert "paste it again" in refused.value.message


def test_sandbox_registration_is_refused_without_the_loopback_exception(connection, admin,
                                                                        settings):
    settings.EGRESS_ALLOW_LOOPBACK = False
    with pytest.raises(errors.SandboxOnly):
        services.applink_register_sandbox(connection=connection, acting_user=admin,
                                          base=CONSOLE_BASE)


def test_server_context_carries_the_private_key_but_never_shows_it(connection):
    context = server_context(connection.team)
    assert context.private_key_pem == connection.private_key_pem
    assert "PRIVATE" not in repr(context)


def test_removing_the_connection_is_audited_and_the_team_can_register_again(connection, admin,
                                                                            jira):
    services.connection_delete(connection=connection, acting_user=admin)
    assert not JiraServerConnection.objects.exists()
    again = services.connection_register(team=connection.team, base_url=jira.base_url,
                                         acting_user=admin)
    assert again.consumer_key != connection.consumer_key
    assert AuditEvent.objects.filter(action="jira_server.remove").count() == 1


def test_an_html_page_instead_of_the_oauth_answer_is_named_as_such(linked_connection, jira):
    jira.control("html_mode", enabled=True)
    with pytest.raises(oauth.JiraOAuthError) as refused:
        oauth.authorization_start(redirect_uri="oob",
                                  server=server_context(linked_connection.team))
    assert refused.value.error == "html_answer"
    assert "HTML page" in refused.value.message and "text/html" in refused.value.message
    assert "/plugins/servlet/oauth/" in refused.value.message
