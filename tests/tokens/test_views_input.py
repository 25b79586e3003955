"""Bad input on the /integrations/ pages answers 4xx or a safe redirect, never a 500: Unicode
digits in `team` (``"²".isdigit()`` is true but ``int("²")`` fails), and `next` values that are
no URL of this site (an emoji or a NUL byte was taken as a view name by ``redirect()``, after
the disconnect had already happened)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from approvals.models import InstallRequest
from tests.tokens.lifecycle_fixtures import make_connected_account
from tokens.models import ConnectedAccount

pytestmark = pytest.mark.django_db

PAGE = reverse("tokens:integrations")
UNICODE_DIGITS = ["²", "١", "٣٤", "①", "1²", "𝟙"]
FOREIGN_NEXT = ["😀", "\x00", "/\x00", "/😀", "a\x00b", "//evil.example/", "https://evil.example/",
                "javascript:alert(1)", " /", "/boards/\x00", "\\\\evil.example"]


def browser(user) -> Client:
    """A logged-in client that returns a 500 as a response instead of raising its exception."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def account(asana, asana_team):
    account, _ = make_connected_account(asana, user=asana_team.member, team=asana_team.team)
    return account


@pytest.mark.parametrize("team", UNICODE_DIGITS)
@pytest.mark.parametrize("view", ["disconnect", "uninstall_for_me", "request_install"])
def test_unicode_digits_in_team_are_refused_on_the_account_actions(asana, account, view,
                                                                   team):
    response = browser(account.user).post(reverse(f"tokens:{view}", args=["asana"]),
                                          {"team": team})
    assert response.status_code in (302, 403), response.status_code
    assert ConnectedAccount.objects.filter(pk=account.pk).exists()


@pytest.mark.parametrize("team", UNICODE_DIGITS)
def test_unicode_digits_in_team_are_refused_on_connect(asana, asana_team, team):
    client = browser(asana_team.member)
    assert client.get(reverse("tokens:connect", args=["asana"]), {"team": team}).status_code == 403
    posted = client.post(reverse("tokens:connect", args=["asana"]), {"team": team})
    assert posted.status_code == 403


@pytest.mark.parametrize("next_url", FOREIGN_NEXT)
def test_disconnect_with_a_foreign_next_goes_to_the_integrations_page(asana, account,
                                                                      next_url):
    response = browser(account.user).post(reverse("tokens:disconnect", args=["asana"]),
                                          {"team": account.team_id, "next": next_url})
    assert response.status_code == 302, response.status_code
    assert response["Location"] == PAGE
    assert ConnectedAccount.objects.get(pk=account.pk).status == ConnectedAccount.Status.REVOKED


@pytest.mark.parametrize("next_url", FOREIGN_NEXT)
def test_request_install_with_a_foreign_next_goes_to_the_integrations_page(asana, asana_team,
                                                                           next_url):
    asana_team.team.installations.all().delete()
    response = browser(asana_team.member).post(
        reverse("tokens:request_install", args=["asana"]),
        {"team": asana_team.team.pk, "next": next_url},
    )
    assert response.status_code == 302 and response["Location"] == PAGE
    assert InstallRequest.objects.filter(requested_by=asana_team.member).count() == 1


@pytest.mark.parametrize("next_url", FOREIGN_NEXT)
def test_connect_with_a_foreign_next_still_starts_the_flow(asana, asana_team, next_url):
    response = browser(asana_team.member).get(reverse("tokens:connect", args=["asana"]),
                                              {"team": asana_team.team.pk, "next": next_url,
                                               "consent": "continue"})
    assert response.status_code == 302
    assert response["Location"].startswith(asana.url("/"))


def test_a_next_on_this_site_is_kept(asana, account):
    board_path = reverse("cards:boards")
    response = browser(account.user).post(reverse("tokens:disconnect", args=["asana"]),
                                          {"team": account.team_id, "next": board_path})
    assert response.status_code == 302 and response["Location"] == board_path
