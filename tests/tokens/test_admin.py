"""Connected accounts in the governance console: scoped, "present" only, revoke with a
confirmation page."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from approvals.models import AuditEvent
from tests.factories import make_admin, make_member, make_support, make_team
from tests.tokens.lifecycle_fixtures import (
    assert_revoked,
    make_connected_account,
    refresh_grants,
)
from tokens.admin import NOTHING_TO_REFRESH, REFRESH_QUEUED_COUNT, REVOKED_COUNT
from tokens.models import ConnectedAccount

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tokens_connectedaccount_changelist")


@pytest.fixture
def account(asana, asana_team):
    account, _ = make_connected_account(asana, user=asana_team.member, team=asana_team.team)
    return account


def secrets_of(account: ConnectedAccount) -> list[str]:
    return [account.access_token, account.refresh_token]


def test_support_sees_present_and_expiry_never_a_token(client, account):
    client.force_login(make_support())
    listing = client.get(CHANGELIST).content.decode()
    change = client.get(
        reverse("admin:tokens_connectedaccount_change", args=[account.pk])).content.decode()
    for page in (listing, change):
        assert "alice" in page and "present" in page
        for secret in secrets_of(account):
            assert secret not in page
            assert secret[-6:] not in page  # not even a suffix


def test_team_admin_sees_own_team_accounts_only(client, account):
    other_admin = make_admin(make_team("Globex"), "globex-admin")
    client.force_login(other_admin)
    assert "alice" not in client.get(CHANGELIST).content.decode()
    change = client.get(reverse("admin:tokens_connectedaccount_change", args=[account.pk]))
    assert change.status_code == 302


def test_revoke_tokens_asks_for_confirmation_then_revokes(client, asana, account,
                                                          django_capture_on_commit_callbacks):
    client.force_login(make_support())
    selection = {"action": "revoke_tokens", "_selected_action": [str(account.pk)]}
    confirm = client.post(CHANGELIST, selection)
    assert confirm.status_code == 200
    assert "Yes, revoke tokens" in confirm.content.decode()
    assert ConnectedAccount.objects.filter(pk=account.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(CHANGELIST, {**selection, "apply": "1"}, follow=True)
    assert REVOKED_COUNT.format(count=1) in done.content.decode()
    assert_revoked(account, reason="console")
    assert len(asana.requests("/-/oauth_revoke")) == 1
    assert AuditEvent.objects.get(action="account.revoke").metadata["reason"] == "console"


def test_revoke_confirmation_counts_accounts_and_people_and_names_the_already_revoked(
        client, asana, asana_team, account):
    second_person = make_member(asana_team.team, "bob")
    gone, _ = make_connected_account(asana, user=second_person, team=asana_team.team)
    gone.status, gone.access_token, gone.refresh_token = ConnectedAccount.Status.REVOKED, "", ""
    gone.save()
    third_person = make_member(asana_team.team, "carol")
    live, _ = make_connected_account(asana, user=third_person, team=asana_team.team)
    client.force_login(make_support())
    selection = [str(account.pk), str(gone.pk), str(live.pk)]
    page = client.post(CHANGELIST, {"action": "revoke_tokens",
                                    "_selected_action": selection}).content.decode()
    assert "Revoke the tokens of 2 connected accounts of 2 people?" in page
    assert "1 selected account is already revoked: nothing is done to it." in page
    assert "(already revoked)" in page


def test_team_admin_of_another_team_cannot_revoke(client, account):
    client.force_login(make_admin(make_team("Globex")))
    client.post(CHANGELIST, {"action": "revoke_tokens", "_selected_action": [str(account.pk)],
                             "apply": "1"})
    assert ConnectedAccount.objects.filter(pk=account.pk).exists()


def test_refresh_tokens_now_refreshes_a_fresh_account_at_the_provider_once(
        client, asana, account, django_capture_on_commit_callbacks):
    held_access_token = account.access_token  # valid for an hour: no refresh would be due
    client.force_login(make_support())
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(CHANGELIST, {"action": "refresh_tokens",
                                        "_selected_action": [str(account.pk)]}, follow=True)
    assert REFRESH_QUEUED_COUNT.format(count=1) in done.content.decode()
    assert len(refresh_grants(asana)) == 1
    refreshed = ConnectedAccount.objects.get(pk=account.pk)
    assert refreshed.access_token != held_access_token
    assert refreshed.last_refreshed_at is not None


def test_refresh_tokens_now_skips_a_revoked_account(client, asana, account,
                                                    django_capture_on_commit_callbacks):
    ConnectedAccount.objects.filter(pk=account.pk).update(
        status=ConnectedAccount.Status.REVOKED)
    client.force_login(make_support())
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(CHANGELIST, {"action": "refresh_tokens",
                                        "_selected_action": [str(account.pk)]}, follow=True)
    assert NOTHING_TO_REFRESH in done.content.decode()
    assert refresh_grants(asana) == []


def test_team_admin_of_another_team_cannot_refresh(client, asana, account,
                                                   django_capture_on_commit_callbacks):
    client.force_login(make_admin(make_team("Globex")))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CHANGELIST, {"action": "refresh_tokens",
                                 "_selected_action": [str(account.pk)]})
    assert refresh_grants(asana) == []


def test_oauth_toolkit_token_admins_are_not_in_the_console():
    for model in (AccessToken, RefreshToken, Grant, IDToken):
        assert not admin.site.is_registered(model)


def test_the_accounts_pages_name_each_integration(client, account):
    client.force_login(make_support())
    listing = client.get(CHANGELIST).content.decode()
    assert '<td class="field-integration_name">Asana</td>' in listing
    assert ">Asana</a>" in listing  # the "By integration" filter's choice
    assert ">asana<" not in listing
    change = client.get(
        reverse("admin:tokens_connectedaccount_change", args=[account.pk])).content.decode()
    assert '<div class="readonly">Asana</div>' in change


def test_refresh_tokens_now_says_a_jira_account_needs_no_refresh(client, asana_team):
    jira_account = ConnectedAccount.objects.create(
        user=asana_team.member, team=asana_team.team, integration="jira_server",
        access_token="jira-access", token_secret="jira-secret", provider_account_name="Alice")
    client.force_login(make_support())
    done = client.post(CHANGELIST, {"action": "refresh_tokens",
                                    "_selected_action": [str(jira_account.pk)]}, follow=True)
    page = done.content.decode()
    assert NOTHING_TO_REFRESH in page
    assert "needs no refresh" in page and "only reconnecting helps" not in page
