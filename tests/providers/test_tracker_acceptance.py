"""A third provider, enabled by a settings override alone (issue 11's acceptance).

tests/providers/tracker is a complete provider package with its own HTTP simulator and
OAuth 2.0; nothing outside that package names it. Through the registry it goes through install
request, approval, connect, picker, import (which subscribes to the project's webhook), unfurl,
update, webhook delivery through /webhooks/tracker/<subscription id>, uninstall and provider
revocation, against real PostgreSQL and its simulator over real HTTP. The linked ticket (a
Tracker ticket created from an Asana card, attachments copied) is test_tracker_linked_ticket.py,
through the same cards service and endpoint as Jira's.

The simulator cannot reach Django's test client, so the test posts the signed deliveries the
simulator made, as the simulator would (`TrackerSimulator.deliveries_take`).
"""

from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from django.urls import reverse
from rest_framework.test import APIClient

from approvals.catalog import CATALOG
from approvals.models import Installation, InstallRequest
from approvals.services import install_request_approve, integration_uninstall_for_team
from cards.models import Board, CardWidget, LinkPreview, WebhookSubscription
from integrations.providers import (
    TicketCreate,
    WebhookReceiver,
    WebhookSubscriptions,
    get_provider,
    provider_keys,
    supports,
)
from tokens.models import ConnectedAccount, ProviderRevocation

pytestmark = pytest.mark.django_db
LINK = "https://tracker.test/issue/TRK-1"


@pytest.fixture
def board(team, member):
    return Board.objects.create(team=team, name="Tracker board", created_by=member)


def api(user) -> APIClient:
    client = APIClient(REMOTE_ADDR="127.0.9.1")
    client.force_login(user)
    return client


def connect(client, user, tracker) -> ConnectedAccount:
    """The authorization code flow through Conduit's views and the simulator."""
    client.force_login(user)
    # Conduit's own page comes first (what is read and stored, Continue / Cancel); its Continue
    # goes on to the provider's consent page.
    page = client.get(reverse("tokens:connect", args=["tracker"]))
    assert page.status_code == 200 and "Tracker" in page.content.decode()
    start = client.get(reverse("tokens:connect", args=["tracker"]), {"consent": "continue"})
    assert start.status_code == 302, start.content.decode()[:2000]
    assert start["Location"].startswith(f"{tracker.url}/oauth/authorize?")
    consent = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert consent.status_code == 302, consent.text
    back = urlsplit(consent.headers["Location"])
    done = client.get(back.path, dict(parse_qsl(back.query)))
    assert done.status_code == 302, done.content.decode()[:2000]
    return ConnectedAccount.objects.get(user=user, team=user.memberships.get().team,
                                        integration="tracker")


def test_the_registry_offers_tracker_only_when_the_setting_names_it(settings, tracker):
    assert "tracker" in provider_keys() and CATALOG["tracker"].name == "Tracker"
    assert supports(get_provider("tracker"), TicketCreate)
    assert supports("tracker", WebhookSubscriptions) and supports("tracker", WebhookReceiver)
    settings.CONDUIT_PROVIDERS = ["integrations.asana", "integrations.jira_server"]
    assert "tracker" not in provider_keys() and "tracker" not in CATALOG


def test_tracker_from_install_request_to_revocation(tracker, team, admin, member, board, client,
                                                    django_capture_on_commit_callbacks):
    member_api = api(member)

    # A member pastes a Tracker link: Tracker is not installed, so an install request is made.
    pasted = member_api.post(f"/api/v1/boards/{board.pk}/unfurls/", {"url": LINK},
                             format="json")
    assert pasted.status_code == 202, pasted.content
    request = InstallRequest.objects.get(team=team, integration="tracker")
    assert request.get_integration_display() == "Tracker"

    # The admin approves it; the member connects through OAuth 2.0 (PKCE) at Tracker.
    install_request_approve(install_request=request, acting_user=admin)
    assert Installation.objects.filter(team=team, integration="tracker").exists()
    account = connect(client, member, tracker)
    assert (account.provider_account_name, account.has_credentials) == ("Pat Tracker", True)

    # Picker: workspaces, a workspace's projects, a project's issues, a search.
    picker = "/api/v1/integrations/tracker/picker/"
    assert [w["id"] for w in member_api.get(picker).json()["items"]] == ["w-acme"]
    projects = member_api.get(picker, {"workspace": "w-acme"}).json()["items"]
    assert [p["name"] for p in projects] == ["Core", "Web"]
    issues = member_api.get(picker, {"workspace": "w-acme", "project": "p-core"}).json()["items"]
    assert [i["id"] for i in issues] == ["TRK-1", "TRK-2"]
    found = member_api.get(picker, {"workspace": "w-acme", "q": "boundaries"}).json()
    assert [i["id"] for i in found["items"]] == ["TRK-3"]

    # Import two issues of a project (which subscribes to the project's webhook), then unfurl
    # the pasted link.
    with django_capture_on_commit_callbacks(execute=True):
        imported = member_api.post(f"/api/v1/boards/{board.pk}/cards/", {
            "integration": "tracker", "external_ids": ["TRK-1", "TRK-2"], "container": "p-core",
        }, format="json")
    assert imported.status_code == 201, imported.content
    subscription = WebhookSubscription.objects.get(team=team, integration="tracker")
    assert subscription.status == WebhookSubscription.Status.ACTIVE
    assert subscription.container_id == "p-core" and subscription.secret
    assert set(CardWidget.objects.filter(board=board, provider="tracker").values_list(
        "external_id", flat=True)) == {"TRK-1", "TRK-2"}
    unfurled = member_api.post(f"/api/v1/boards/{board.pk}/unfurls/", {"url": LINK},
                               format="json")
    assert unfurled.status_code == 201, unfurled.content
    assert LinkPreview.objects.get(board=board).title == "Ship the registry"

    # Update: the new title is written to Tracker and stored on the card.
    card = CardWidget.objects.get(board=board, external_id="TRK-1")
    updated = member_api.patch(f"/api/v1/cards/{card.pk}", {"title": "Ship the registry now"},
                               format="json")
    assert updated.status_code == 200, updated.content
    assert tracker.state.issues["TRK-1"]["title"] == "Ship the registry now"
    assert "PATCH /api/issues/TRK-1" in tracker.state.requests

    # Webhook delivery: an issue renamed in Tracker renames its card through the one webhook
    # path; the edit above was delivered too (its echo changes nothing).
    tracker.change_issue("TRK-2", title="Split the protocol in two")
    deliveries = tracker.deliveries_take()
    assert len(deliveries) == 2
    assert all(urlsplit(d.url).path == f"/webhooks/tracker/{subscription.pk}" for d in deliveries)
    for delivery in deliveries:
        with django_capture_on_commit_callbacks(execute=True):
            answer = client.post(urlsplit(delivery.url).path, delivery.body,
                                 content_type="application/json", headers=delivery.headers)
        assert answer.status_code == 200, answer.content
    assert CardWidget.objects.get(board=board, external_id="TRK-2").title == (
        "Split the protocol in two")
    assert CardWidget.objects.get(board=board, external_id="TRK-1").title == (
        "Ship the registry now")

    # Uninstall for the team: the member's account is revoked, at Tracker too.
    refresh_token = account.refresh_token
    with django_capture_on_commit_callbacks(execute=True):
        assert integration_uninstall_for_team(team=team, integration="tracker",
                                              acting_user=admin) == 1
    assert not Installation.objects.filter(team=team, integration="tracker").exists()
    remaining = ConnectedAccount.objects.filter(pk=account.pk).first()
    assert remaining is None or not remaining.has_credentials
    assert tracker.state.revoked == [refresh_token]
    assert not ProviderRevocation.objects.filter(integration="tracker").exists()


def test_a_forged_tracker_delivery_is_refused_and_changes_nothing(tracker, team, member, board,
                                                                  client):
    subscription = WebhookSubscription.objects.create(
        team=team, integration="tracker", container_id="p-core", subscribed_by=member,
        status=WebhookSubscription.Status.ACTIVE, secret="the-subscription-secret")
    card = CardWidget.objects.create(board=board, provider="tracker", external_id="TRK-1",
                                     url=f"{LINK}", title="Stored")
    body = b'{"events": [{"issue": "TRK-1", "action": "deleted"}]}'
    forged = client.post(f"/webhooks/tracker/{subscription.pk}", body,
                         content_type="application/json",
                         headers={"X-Tracker-Signature": "0" * 64})
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "bad_signature"
    card.refresh_from_db()
    assert card.sync_error == ""
