"""The one access decision (approvals.decisions) and the paths that now share it: the REST API,
the board's use of a link, the connect page and the picker answer the same for the same state."""

import pytest
from django.test import Client

from approvals import errors
from approvals.catalog import Plan
from approvals.decisions import (
    AccessOutcome,
    install_request_submit,
    integration_access_decide,
    integration_access_obtain,
)
from approvals.models import AuditEvent, Installation, InstallRequest
from cards import errors as card_errors
from cards.provider_calls import integration_ensure_installed
from tests.factories import make_admin, make_member, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return make_team("Acme", plan=Plan.BUSINESS)


def decide(user, team, integration="asana"):
    return integration_access_decide(user=user, team=team, integration=integration)


def test_each_outcome_of_the_decision(team):
    admin, member, outsider = make_admin(team), make_member(team), make_member(make_team())
    assert decide(admin, team).outcome is AccessOutcome.INSTALL
    assert decide(member, team).outcome is AccessOutcome.REQUEST
    assert decide(outsider, team).outcome is AccessOutcome.NOT_A_MEMBER
    assert decide(member, team, "trello").outcome is AccessOutcome.UNKNOWN
    assert decide(member, make_team(plan=Plan.FREE)).outcome is AccessOutcome.NOT_ON_PLAN
    InstallRequest.objects.create(team=team, integration="asana", requested_by=member)
    pending = decide(member, team)
    assert pending.outcome is AccessOutcome.PENDING
    assert pending.install_request is not None
    Installation.objects.create(team=team, integration="asana", installed_by=admin)
    assert decide(member, team).outcome is AccessOutcome.USE
    assert decide(admin, team).outcome is AccessOutcome.USE


def test_deciding_changes_nothing(team):
    make_admin(team)
    decide(make_member(team), team)
    assert not InstallRequest.objects.exists()
    assert not Installation.objects.exists()
    assert not AuditEvent.objects.exists()


def test_refusals_carry_the_errors_users_see(team):
    member = make_member(team)
    with pytest.raises(errors.UnknownIntegration) as unknown:
        decide(member, team, "trello").raise_if_refused()
    assert unknown.value.message == errors.UNKNOWN_INTEGRATION.format(key="trello")
    free = make_team(plan=Plan.FREE)
    with pytest.raises(errors.PlanUpgradeNeeded) as plan:
        decide(make_member(free), free).raise_if_refused()
    assert plan.value.detail == {"plan": "free", "plans": ["business", "enterprise"]}
    with pytest.raises(errors.NotTeamMember):
        decide(make_member(make_team()), team).raise_if_refused()


def test_obtain_installs_for_an_admin_and_files_a_members_request_once(team):
    admin, member = make_admin(team), make_member(team)
    first = integration_access_obtain(user=member, team=team, integration="asana")
    again = integration_access_obtain(user=member, team=team, integration="asana")
    assert (first.outcome, again.outcome) == (AccessOutcome.REQUEST, AccessOutcome.PENDING)
    assert first.install_request.pk == again.install_request.pk
    installed = integration_access_obtain(user=admin, team=team, integration="asana")
    assert installed.outcome is AccessOutcome.INSTALL and installed.install_request is None
    assert Installation.objects.filter(team=team, integration="asana").exists()
    assert InstallRequest.objects.get().status == InstallRequest.Status.APPROVED


def test_a_member_submitting_a_request_for_an_installed_integration_is_told_so(team):
    admin, member = make_admin(team), make_member(team)
    Installation.objects.create(team=team, integration="asana", installed_by=admin)
    with pytest.raises(errors.AlreadyInstalled):
        install_request_submit(user=member, team=team, integration="asana")
    assert install_request_submit(user=admin, team=team, integration="asana").usable


def test_using_an_integration_the_plan_no_longer_includes_is_refused_on_every_path(team):
    """A team moved to a plan without the integration keeps its Installation row; using it
    from a board is refused with the plan's 402 like connecting and the picker were (the
    board's path alone used to let it through)."""
    admin, member = make_admin(team), make_member(team)
    Installation.objects.create(team=team, integration="asana", installed_by=admin)
    team.plan = Plan.STARTER
    team.save()
    with pytest.raises(errors.PlanUpgradeNeeded):
        integration_ensure_installed(team=team, integration="asana", acting_user=member)
    client = Client()
    client.force_login(member)
    picker = client.get(f"/api/v1/integrations/asana/picker/?team={team.pk}")
    assert picker.status_code == 402
    connect = client.get(f"/integrations/asana/connect?team={team.pk}")
    assert connect.status_code == 402


def test_the_api_and_the_board_path_answer_a_members_use_the_same(team):
    make_admin(team)
    member = make_member(team)
    with pytest.raises(card_errors.InstallRequested) as raised:
        integration_ensure_installed(team=team, integration="asana", acting_user=member)
    client = Client()
    client.force_login(member)
    answer = client.post(f"/api/v1/integrations/asana/install-requests/?team={team.pk}")
    assert answer.status_code == 202
    assert answer.json()["install_request"]["id"] == raised.value.install_request.pk
    assert InstallRequest.objects.count() == 1


def test_an_unknown_integration_is_one_error_in_the_api_and_the_services(team):
    client = Client()
    client.force_login(make_admin(team))
    answer = client.post(f"/api/v1/integrations/trello/install-requests/?team={team.pk}")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == errors.UnknownIntegration.code
    assert answer.json()["error"]["message"] == errors.UNKNOWN_INTEGRATION.format(key="trello")
    assert not hasattr(card_errors, "UnknownIntegration")
