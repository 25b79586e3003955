"""The /integrations/ page: per integration its state, who is connected, since when, last use
and scopes; Disconnect and Uninstall for me explained, each behind a confirmation page; after
Uninstall for me the page says so; a connection that needs reconnecting offers Disconnect too."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.models import AuditEvent
from cards.templatetags.conduit_time import when_text
from tests.tokens.lifecycle_fixtures import make_connected_account
from tokens import confirm_views
from tokens.models import ConnectedAccount

pytestmark = pytest.mark.django_db

PAGE = reverse("tokens:integrations")


def text(response) -> str:
    return html.unescape(response.content.decode())


def article(page: str, team_pk: int, key: str) -> str:
    start = page.index(f'id="integration-{team_pk}-{key}"')
    return page[start:page.index("</article>", start)]


@pytest.fixture
def account(asana, asana_team):
    account, _ = make_connected_account(asana, user=asana_team.member, team=asana_team.team)
    account.scopes = "tasks:read tasks:write users:read"
    account.save()
    return account


def test_connected_account_shows_who_since_last_used_and_scopes(client, asana_team, account):
    client.force_login(asana_team.member)
    page = text(client.get(PAGE))
    asana = article(page, asana_team.team.pk, "asana")
    assert 'data-status="connected"' in asana
    assert f"<dt>Connected as</dt><dd>{account.provider_account_name}" in asana
    assert f"data-when>{when_text(account.created_at)}</time></dd>" in asana.split("Since", 1)[1]
    assert f"data-when>{when_text(account.last_used_at)}</time></dd>" in asana.split(
        "Last used", 1)[1]
    assert "<code>tasks:read</code> <code>tasks:write</code> <code>users:read</code>" in asana
    assert 'data-testid="disconnect"' in asana and 'data-testid="uninstall-for-me"' in asana
    assert "Deletes this account's tokens" in page  # the two actions explained


def test_needs_reconnect_account_offers_reconnect_and_disconnect(client, asana_team, account):
    ConnectedAccount.objects.filter(pk=account.pk).update(
        status=ConnectedAccount.Status.NEEDS_RECONNECT)
    client.force_login(asana_team.member)
    asana = article(text(client.get(PAGE)), asana_team.team.pk, "asana")
    assert 'data-status="needs-reconnect"' in asana
    assert ">Reconnect</a>" in asana
    assert reverse("tokens:disconnect_confirm", args=["asana"]) in asana


def test_disconnect_and_uninstall_confirmation_pages_say_what_happens_and_change_nothing(
        client, asana, asana_team, account):
    client.force_login(asana_team.member)
    team = asana_team.team
    words = {"integration": "Asana", "team": team.name}
    for name, lines, action in (
        ("tokens:disconnect_confirm", confirm_views.DISCONNECT_CONSEQUENCES, "disconnect"),
        ("tokens:uninstall_for_me_confirm", confirm_views.UNINSTALL_CONSEQUENCES,
         "uninstall-for-me"),
    ):
        page = text(client.get(reverse(name, args=["asana"]), {"team": team.pk}))
        for line in lines:
            assert line.format(**words) in page
        assert f'action="/integrations/asana/{action}"' in page
    assert ConnectedAccount.objects.filter(pk=account.pk).exists()


def test_after_uninstall_for_me_the_page_shows_it_removed_until_connected_again(
        client, asana, asana_team, account, django_capture_on_commit_callbacks):
    client.force_login(asana_team.member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("tokens:uninstall_for_me", args=["asana"]),
                    {"team": asana_team.team.pk})
    asana_item = article(text(client.get(PAGE)), asana_team.team.pk, "asana")
    assert 'data-status="removed-for-me"' in asana_item
    assert "You removed Asana for yourself on" in asana_item
    assert "Use Asana again" in asana_item
    # Connecting again later (its audit event) ends the "removed" state.
    make_connected_account(asana, user=asana_team.member, team=asana_team.team)
    AuditEvent.objects.create(actor=asana_team.member, action="account.connect",
                              team=asana_team.team, metadata={"integration": "asana"},
                              created_at=timezone.now())
    again = article(text(client.get(PAGE)), asana_team.team.pk, "asana")
    assert 'data-status="connected"' in again
