"""The console's tenant boundary beyond row scoping: a team admin's forms and list filters name
no user or team outside the admin's own teams."""

from __future__ import annotations

import pytest
from django.urls import reverse

from approvals.admin_forms import USER_NOT_FOUND
from approvals.models import AuditEvent, Installation, InstallRequest, Membership
from cards.models import TicketLink
from tests.factories import make_admin, make_member, make_team, make_user
from tokens.models import ConnectedAccount

pytestmark = pytest.mark.django_db
ADD_MEMBERSHIP = reverse("admin:approvals_membership_add")
# The six console lists with a team filter.
TEAM_FILTERED_LISTS = [
    "admin:approvals_membership_changelist",
    "admin:approvals_installation_changelist",
    "admin:approvals_installrequest_changelist",
    "admin:approvals_auditevent_changelist",
    "admin:tokens_connectedaccount_changelist",
    "admin:cards_ticketlink_changelist",
]


@pytest.fixture
def world(client):
    """An admin of two teams (so the team filter has two entries and is shown), a stranger's
    team with its own admin, member and rows in every list, and a user in no team."""
    acme, labs, globex = make_team("Acme"), make_team("Acme Labs"), make_team("Globex-Secret")
    admin = make_admin(acme, "acme-admin")
    Membership.objects.create(user=admin, team=labs, role=Membership.Role.ADMIN)
    globex_admin = make_admin(globex, "globex-admin")
    stranger = make_member(globex, "globex-stranger")
    loner = make_user("no-team-loner")
    for team, user in ((acme, admin), (labs, admin), (globex, globex_admin)):
        Installation.objects.create(team=team, integration="asana", installed_by=user)
        InstallRequest.objects.create(team=team, integration="jira_server", requested_by=user)
        AuditEvent.objects.create(action="test.event", actor=user, actor_label=user.username,
                                  target=team.name, team=team)
        ConnectedAccount.objects.create(user=user, team=team, integration="asana",
                                        access_token="token", provider_account_name="x")
        TicketLink.objects.create(
            team=team, source_provider="asana", source_external_id=f"1{team.pk}",
            target_provider="jira_server", target_site="https://jira.example.com",
            target_external_id=f"K-{team.pk}", target_internal_id=str(team.pk),
            target_url=f"https://jira.example.com/browse/K-{team.pk}", created_by=user)
    client.force_login(admin)
    return {"client": client, "acme": acme, "labs": labs, "globex": globex,
            "strangers": [globex_admin, stranger, loner]}


def test_add_membership_form_lists_no_user(world):
    page = world["client"].get(ADD_MEMBERSHIP)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<select name="user"' not in html
    for stranger in world["strangers"]:
        assert stranger.username not in html and stranger.email not in html
    assert "Globex-Secret" not in html


@pytest.mark.parametrize("field", ["username", "email"])
def test_admin_adds_an_existing_user_by_username_or_email(world, field):
    loner = world["strangers"][2]
    response = world["client"].post(ADD_MEMBERSHIP, {
        "team": world["acme"].pk, "user": getattr(loner, field).upper() if field == "email"
        else loner.username, "role": "member"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Membership.objects.filter(team=world["acme"], user=loner, role="member").exists()
    assert AuditEvent.objects.filter(action="membership.create", team=world["acme"]).exists()


def test_an_unknown_user_is_a_form_error(world):
    response = world["client"].post(ADD_MEMBERSHIP, {
        "team": world["acme"].pk, "user": "nobody-by-this-name", "role": "member"})
    assert response.status_code == 200
    assert USER_NOT_FOUND in response.content.decode()
    assert not Membership.objects.filter(team=world["acme"], role="member").exists()


def test_membership_change_form_shows_the_member_by_username(world):
    membership = Membership.objects.get(team=world["labs"])
    page = world["client"].get(reverse("admin:approvals_membership_change",
                                       args=[membership.pk]))
    assert page.status_code == 200
    assert 'value="acme-admin"' in page.content.decode()


@pytest.mark.parametrize("changelist", TEAM_FILTERED_LISTS)
def test_team_filter_names_only_the_admins_teams(world, changelist):
    page = world["client"].get(reverse(changelist))
    assert page.status_code == 200
    html = page.content.decode()
    # The filter is shown (two teams) and offers both of the admin's teams ...
    assert f"team__id__exact={world['labs'].pk}" in html
    assert f"team__id__exact={world['acme'].pk}" in html
    # ... and never the stranger team, by name or by id.
    assert "Globex-Secret" not in html
    assert f"team__id__exact={world['globex'].pk}\"" not in html
