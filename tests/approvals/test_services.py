"""The install and consent workflow through its services."""

import pytest

from approvals import errors, services
from approvals.catalog import Plan
from approvals.models import AuditEvent, Installation, InstallRequest
from integrations.errors import ApiUnauthorized
from integrations.providers import Credentials, get_provider
from integrations.sandbox.asana.seed import ADA, ALAN, GRACE
from tests.factories import make_admin, make_member, make_team
from tests.tokens.lifecycle_fixtures import make_connected_account
from tokens.models import ConnectedAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return make_team("Acme", plan=Plan.BUSINESS)


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_member_request_is_idempotent(team):
    member = make_member(team)
    first = services.install_request_create(team=team, integration="asana", requested_by=member)
    again = services.install_request_create(team=team, integration="asana", requested_by=member)
    assert first.pk == again.pk
    assert InstallRequest.objects.count() == 1
    assert actions() == ["install_request.create"]


def test_request_of_a_non_member_is_refused(team):
    outsider = make_member(make_team())
    with pytest.raises(errors.NotTeamMember):
        services.install_request_create(team=team, integration="asana", requested_by=outsider)


def test_plan_gate_refuses_free_team_with_its_message():
    free_team = make_team(plan=Plan.FREE)
    member = make_member(free_team)
    with pytest.raises(errors.PlanUpgradeNeeded) as raised:
        services.install_request_create(team=free_team, integration="asana", requested_by=member)
    assert raised.value.message == errors.PLAN_UPGRADE_NEEDED.format(
        integration="Asana", plan="Free"
    )
    assert InstallRequest.objects.count() == 0


def test_plan_gate_refuses_install_by_admin_of_starter_team():
    starter = make_team(plan=Plan.STARTER)
    admin = make_admin(starter)
    with pytest.raises(errors.PlanUpgradeNeeded):
        services.integration_install(team=starter, integration="jira_server", acting_user=admin)
    assert not Installation.objects.exists()


def test_unknown_integration_is_refused(team):
    admin = make_admin(team)
    with pytest.raises(errors.UnknownIntegration):
        services.integration_install(team=team, integration="trello", acting_user=admin)


def test_only_admins_install(team):
    member = make_member(team)
    with pytest.raises(errors.AdminsOnly):
        services.integration_install(team=team, integration="asana", acting_user=member)
    assert not Installation.objects.exists()


def test_admin_install_is_idempotent_and_audited(team):
    admin = make_admin(team)
    first = services.integration_install(team=team, integration="asana", acting_user=admin,
                                         source_ip="203.0.113.5")
    second = services.integration_install(team=team, integration="asana", acting_user=admin)
    assert first.pk == second.pk
    event = AuditEvent.objects.get(action="integration.install")
    assert (event.actor, event.team, event.source_ip) == (admin, team, "203.0.113.5")


def test_approve_installs_and_approves_every_pending_request(
    team, mailoutbox, django_capture_on_commit_callbacks
):
    admin = make_admin(team)
    alice, bob = make_member(team), make_member(team)
    request_a = services.install_request_create(team=team, integration="asana", requested_by=alice)
    request_b = services.install_request_create(team=team, integration="asana", requested_by=bob)
    with django_capture_on_commit_callbacks(execute=True):
        services.install_request_approve(install_request=request_a, acting_user=admin)
    assert Installation.objects.filter(team=team, integration="asana").exists()
    for install_request in (request_a, request_b):
        install_request.refresh_from_db()
        assert install_request.status == InstallRequest.Status.APPROVED
        assert install_request.decided_by == admin
    assert sorted(mailoutbox[0].to) == sorted([alice.email, bob.email])
    assert actions() == ["install_request.create", "install_request.create",
                         "install_request.approve", "integration.install"]


def test_admin_of_another_team_cannot_approve(team):
    member = make_member(team)
    other_admin = make_admin(make_team())
    install_request = services.install_request_create(
        team=team, integration="asana", requested_by=member
    )
    with pytest.raises(errors.AdminsOnly):
        services.install_request_approve(install_request=install_request, acting_user=other_admin)
    install_request.refresh_from_db()
    assert install_request.status == InstallRequest.Status.PENDING


def test_deny_records_the_reason(team, mailoutbox, django_capture_on_commit_callbacks):
    admin, member = make_admin(team), make_member(team)
    install_request = services.install_request_create(
        team=team, integration="asana", requested_by=member
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.install_request_deny(install_request=install_request, acting_user=admin,
                                      reason="Use Jira instead")
    install_request.refresh_from_db()
    assert (install_request.status, install_request.reason) == ("denied", "Use Jira instead")
    assert AuditEvent.objects.get(action="install_request.deny").metadata["reason"] == (
        "Use Jira instead"
    )
    assert "Use Jira instead" in mailoutbox[0].body


def test_deny_without_reason_is_refused(team):
    admin, member = make_admin(team), make_member(team)
    install_request = services.install_request_create(
        team=team, integration="asana", requested_by=member
    )
    with pytest.raises(errors.ReasonRequired):
        services.install_request_deny(install_request=install_request, acting_user=admin,
                                      reason="  ")


def test_decided_request_cannot_be_decided_again(team):
    admin, member = make_admin(team), make_member(team)
    install_request = services.install_request_create(
        team=team, integration="asana", requested_by=member
    )
    services.install_request_deny(install_request=install_request, acting_user=admin, reason="no")
    with pytest.raises(errors.RequestNotPending):
        services.install_request_approve(install_request=install_request, acting_user=admin)


def test_member_can_ask_again_after_a_denial(team):
    admin, member = make_admin(team), make_member(team)
    first = services.install_request_create(team=team, integration="asana", requested_by=member)
    services.install_request_deny(install_request=first, acting_user=admin, reason="not now")
    second = services.install_request_create(team=team, integration="asana", requested_by=member)
    assert second.pk != first.pk and second.status == "pending"


def test_requester_cancels_own_request(team):
    member = make_member(team)
    install_request = services.install_request_create(
        team=team, integration="asana", requested_by=member
    )
    services.install_request_cancel(install_request=install_request, acting_user=member)
    install_request.refresh_from_db()
    assert install_request.status == "cancelled"


def works_at_asana(access_token: str) -> bool:
    try:
        get_provider("asana").list_workspaces(Credentials(access_token=access_token))
    except ApiUnauthorized:
        return False
    return True


@pytest.fixture
def connected(asana, team):
    """Real Asana accounts (sandbox tokens) of two Acme members and of a Globex member, and an
    Acme Jira account, which uninstalling Asana must not touch."""
    admin = make_admin(team)
    alice, bob = make_member(team, "alice"), make_member(team, "bob")
    globex = make_team("Globex")
    carol = make_member(globex, "carol")
    accounts = {
        "alice": make_connected_account(asana, user=alice, team=team, user_gid=ADA)[0],
        "bob": make_connected_account(asana, user=bob, team=team, user_gid=GRACE)[0],
        "carol": make_connected_account(asana, user=carol, team=globex, user_gid=ALAN)[0],
        "alice-jira": ConnectedAccount.objects.create(
            user=alice, team=team, integration="jira_server", access_token="jira-token",
            token_secret="jira-secret"),
    }
    tokens = {name: account.access_token for name, account in accounts.items()}
    services.integration_install(team=team, integration="asana", acting_user=admin)
    asana.clear_requests()
    return {"admin": admin, "alice": alice, "accounts": accounts, "tokens": tokens}


def remaining_accounts() -> set[str]:
    return {f"{account.user.username}/{account.integration}"
            for account in ConnectedAccount.objects.select_related("user").exclude(
                status=ConnectedAccount.Status.REVOKED)}  # revoked ones stay listed, empty


def test_uninstall_for_team_revokes_every_members_accounts(
        team, asana, connected, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        revoked = services.integration_uninstall_for_team(team=team, integration="asana",
                                                          acting_user=connected["admin"])
    assert revoked == 2
    assert remaining_accounts() == {"carol/asana", "alice/jira_server"}
    assert len(asana.requests("/-/oauth_revoke")) == 2
    tokens = connected["tokens"]
    assert not works_at_asana(tokens["alice"]) and not works_at_asana(tokens["bob"])
    assert works_at_asana(tokens["carol"])
    assert not Installation.objects.exists()
    assert AuditEvent.objects.get(action="integration.uninstall_for_team").metadata[
        "revoked_accounts"] == 2
    assert AuditEvent.objects.filter(action="account.revoke").count() == 2


def test_uninstall_for_team_is_for_admins_only(team):
    admin, member = make_admin(team), make_member(team)
    services.integration_install(team=team, integration="asana", acting_user=admin)
    with pytest.raises(errors.AdminsOnly):
        services.integration_uninstall_for_team(team=team, integration="asana",
                                                acting_user=member)
    assert Installation.objects.exists()


def test_uninstall_for_me_revokes_only_my_account(
        team, asana, connected, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        revoked = services.integration_uninstall_for_me(team=team, integration="asana",
                                                        acting_user=connected["alice"])
    assert revoked == 1
    assert remaining_accounts() == {"bob/asana", "carol/asana", "alice/jira_server"}
    assert len(asana.requests("/-/oauth_revoke")) == 1
    assert not works_at_asana(connected["tokens"]["alice"])
    assert works_at_asana(connected["tokens"]["bob"])
    assert Installation.objects.filter(team=team, integration="asana").exists()
    assert "integration.uninstall_for_me" in actions()
