"""tokens.selectors.account_for_call: the account an action calls the provider with, and whether
its team has the integration installed, in one query."""

import pytest

from approvals.models import Installation
from tests.factories import make_member, make_team
from tokens.models import ConnectedAccount
from tokens.selectors import account_for_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return make_team()


@pytest.fixture
def member(team):
    return make_member(team)


def _account(*, user, team, **fields) -> ConnectedAccount:
    return ConnectedAccount.objects.create(user=user, team=team, integration="asana",
                                           access_token="access-1", refresh_token="refresh-1",
                                           **fields)


def test_the_account_comes_with_its_teams_installation_in_one_query(
    team, member, django_assert_num_queries
):
    account = _account(user=member, team=team)
    Installation.objects.create(team=team, integration="asana")
    with django_assert_num_queries(1):
        found = account_for_call(user=member, team=team, integration="asana")
        assert found.team is team  # the caller's row, not a second query
    assert found.pk == account.pk and found.team_installed is True
    assert found.access_token == "access-1" and found.has_credentials


def test_an_account_of_a_team_without_the_installation_says_so(team, member):
    _account(user=member, team=team)
    assert account_for_call(user=member, team=team, integration="asana").team_installed is False


def test_a_revoked_account_counts_as_none(team, member):
    _account(user=member, team=team, status=ConnectedAccount.Status.REVOKED)
    Installation.objects.create(team=team, integration="asana")
    assert account_for_call(user=member, team=team, integration="asana") is None


def test_another_members_or_teams_account_is_not_found(team, member):
    other_team = make_team()
    _account(user=make_member(team), team=team)
    _account(user=member, team=other_team)
    assert account_for_call(user=member, team=team, integration="asana") is None
    assert account_for_call(user=member, team=team, integration="jira_server") is None
