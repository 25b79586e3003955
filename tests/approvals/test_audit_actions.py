"""The audit vocabulary: Conduit's actions plus each provider manifest's, with old → new values
where something changed, one reason per way of revoking, and the console's labels."""

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings
from django.urls import reverse

from approvals.audit import audit_event_record
from approvals.audit_actions import AuditAction, RevocationReason, audit_actions
from approvals.audit_sentences import audit_sentence
from approvals.catalog import Plan
from approvals.models import AuditEvent, Team
from tests.factories import make_admin, make_member, make_team, make_user
from tokens.models import ConnectedAccount

pytestmark = pytest.mark.django_db

TRACKER = ["integrations.asana", "integrations.jira_server", "tests.providers.tracker"]


def superuser() -> User:
    return User.objects.create_superuser("root", "root@example.com", "pw-for-the-test")


def test_jira_actions_come_from_its_manifest_not_the_central_enum():
    values = {member.value for member in AuditAction}
    assert not any(value.startswith("jira_server.") for value in values)
    assert audit_actions()["jira_server.check"].label == "Jira compatibility checked"
    event = audit_event_record(action="jira_server.register", target="Jira Server https://j.example")
    assert event.get_action_display() == "Jira Server registered"


def test_a_provider_disabled_by_settings_takes_its_actions_with_it():
    with override_settings(CONDUIT_PROVIDERS=["integrations.asana"]):
        assert "jira_server.check" not in audit_actions()
        with pytest.raises(ValueError):
            audit_event_record(action="jira_server.check")
    assert "jira_server.check" in audit_actions()


def test_a_provider_enabled_by_settings_alone_records_and_labels_its_own_actions(client):
    """The test-only Tracker provider declares "tracker.sync" in its manifest; nothing in
    approvals names it."""
    with override_settings(CONDUIT_PROVIDERS=TRACKER):
        from integrations.providers import get_provider

        declared = {spec.value for spec in get_provider("tracker").manifest.audit_actions}
        assert "tracker.sync" in declared
        event = audit_event_record(action="tracker.sync", target="Tracker project")
        assert audit_sentence(event) == "Conduit synchronised Tracker project"
        client.force_login(superuser())
        listing = client.get(reverse("admin:approvals_auditevent_changelist")).content.decode()
        assert "Tracker synchronised" in listing  # the "By action" filter's label


def test_the_console_filters_by_a_providers_action_with_its_label(client):
    audit_event_record(action="jira_server.check", target="Jira Server https://j.example")
    audit_event_record(action="auth.login", target="ada")
    client.force_login(superuser())
    url = reverse("admin:approvals_auditevent_changelist")
    page = client.get(url).content.decode()
    assert "Jira compatibility checked" in page and "Signed in" in page
    filtered = client.get(url, {"action__exact": "jira_server.check"}).content.decode()
    assert "checked the compatibility of Jira Server https://j.example" in filtered
    assert "Conduit signed in" not in filtered


def test_a_plan_change_records_the_old_and_new_plan(client):
    team = make_team("Acme", plan=Plan.STARTER)
    client.force_login(superuser())
    answer = client.post(reverse("admin:approvals_team_change", args=[team.pk]),
                         {"name": "Acme", "plan": Plan.BUSINESS})
    assert answer.status_code == 302
    event = AuditEvent.objects.get(action="team.change")
    assert event.metadata["changes"] == {"plan": ["starter", "business"]}
    assert audit_sentence(event) == "root changed the team Acme (plan: Starter → Business)"


def test_saving_an_unchanged_team_writes_no_event(client):
    team = make_team("Acme", plan=Plan.STARTER)
    client.force_login(superuser())
    client.post(reverse("admin:approvals_team_change", args=[team.pk]),
                {"name": "Acme", "plan": Plan.STARTER})
    assert not AuditEvent.objects.filter(action="team.change").exists()


def test_creating_a_team_in_the_console_is_audited(client):
    client.force_login(superuser())
    client.post(reverse("admin:approvals_team_add"), {"name": "New", "plan": Plan.FREE})
    team = Team.objects.get(name="New")
    assert AuditEvent.objects.get(action="team.create").team == team


def test_a_user_change_records_old_and_new_values_never_the_password(client):
    user = make_user("bob")
    support = Group.objects.get_or_create(name="Support")[0]
    client.force_login(superuser())
    form = {"username": "bob", "email": "robert@example.com", "first_name": "", "last_name": "",
            "is_active": "on", "is_staff": "on", "groups": [support.pk],
            "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
            "initial-date_joined_0": "2026-01-01", "initial-date_joined_1": "00:00:00"}
    answer = client.post(reverse("admin:auth_user_change", args=[user.pk]), form)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    event = AuditEvent.objects.get(action="user.change")
    changes = event.metadata["changes"]
    assert changes["email"] == ["bob@example.com", "robert@example.com"]
    assert changes["is_staff"] == [False, True]
    assert changes["groups"] == [[], ["Support"]]
    assert "password" not in changes


def test_disconnect_in_the_api_and_on_the_page_is_one_reason(client):
    team = make_team()
    member = make_member(team)
    make_admin(team)
    for integration in ("asana", "jira_server"):
        ConnectedAccount.objects.create(user=member, team=team, integration=integration,
                                        access_token="opaque")
    client.force_login(member)
    assert client.delete(f"/api/v1/integrations/asana/connection?team={team.pk}").status_code == 204
    client.post(reverse("tokens:disconnect", args=["jira_server"]), {"team": team.pk})
    reasons = set(AuditEvent.objects.filter(action="account.revoke")
                  .values_list("metadata__reason", flat=True))
    assert reasons == {RevocationReason.DISCONNECT.value}
    assert set(ConnectedAccount.objects.values_list("revoked_reason", flat=True)) == {"disconnect"}


@pytest.mark.django_db(transaction=True)
def test_events_stored_with_the_old_disconnect_reason_read_disconnect_after_the_migration():
    before = [("approvals", "0005_support_group")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        old.get_model("approvals", "AuditEvent").objects.create(
            action="account.revoke", target="Asana ada",
            metadata={"reason": "user_disconnect", "integration": "asana"})
        old.get_model("approvals", "AuditEvent").objects.create(
            action="account.revoke", target="Asana bob", metadata={"reason": "console"})
    finally:
        latest = MigrationExecutor(connection)
        latest.migrate(latest.loader.graph.leaf_nodes())
    reasons = sorted(AuditEvent.objects.values_list("metadata__reason", flat=True))
    assert reasons == ["console", "disconnect"]
    event = AuditEvent.objects.get(target="Asana ada")
    assert event.metadata["integration"] == "asana"
    assert audit_sentence(event) == "Conduit revoked Asana ada: disconnected by its owner"
